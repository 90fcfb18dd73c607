import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { schemaVersion, SCHEMA_VERSION } from './schema';

const engines = new Map<string, Promise<SqlJsStatic>>();

/** sql.js with its wasm read from disk (bundled next to the extension), never fetched. */
export function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  let engine = engines.get(wasmPath);
  if (!engine) {
    engine = initSqlJs({ wasmBinary: toArrayBuffer(fs.readFileSync(wasmPath)) });
    engines.set(wasmPath, engine);
    engine.catch(() => engines.delete(wasmPath));
  }
  return engine;
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export type IndexLoad = { db: Database } | { db?: undefined; reason: string };

/** The saved index if it is usable as is; otherwise why not (the caller rebuilds). */
export function loadIndex(SQL: SqlJsStatic, file: string): IndexLoad {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    return { reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no index yet' : `unreadable index: ${(err as Error).message}` };
  }
  let db: Database | undefined;
  try {
    db = new SQL.Database(bytes);
    const check = db.exec('PRAGMA quick_check');
    if (check[0]?.values[0]?.[0] !== 'ok') throw new Error('integrity check failed');
    const version = schemaVersion(db);
    if (version !== SCHEMA_VERSION) {
      db.close();
      return { reason: `index schema ${version}, expected ${SCHEMA_VERSION}` };
    }
    return { db };
  } catch (err) {
    db?.close();
    return { reason: `corrupt index: ${(err as Error).message}` };
  }
}

/** Temp file in the same directory, then rename: readers see the old or the new index, never half. */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
