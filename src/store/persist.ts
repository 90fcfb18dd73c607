import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { schemaVersion, SCHEMA_VERSION } from './schema';
import { isPidAlive } from './status';

const engines = new Map<string, Promise<SqlJsStatic>>();

/** sql.js with its wasm read from disk (bundled next to the extension), never fetched. */
export function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  let engine = engines.get(wasmPath);
  if (!engine) {
    // Required here, not imported: the bundled library is evaluated when the first store opens, not at activation.
    const initSqlJs = require('sql.js') as typeof import('sql.js');
    engine = initSqlJs({ wasmBinary: toArrayBuffer(fs.readFileSync(wasmPath)) });
    engines.set(wasmPath, engine);
    engine.catch(() => engines.delete(wasmPath));
  }
  return engine;
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** `newer`: the file belongs to a newer version of the extension; it must be left as it is. */
export type IndexLoad = { db: Database; newer?: undefined } | { db?: undefined; reason: string; newer?: boolean };

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
    if (version > SCHEMA_VERSION) {
      db.close();
      return {
        reason: `index.sqlite was written by a newer MLOps Workbench (index schema ${version}; this version reads ${SCHEMA_VERSION}): ` +
          'it is left as it is and this window keeps its own index in memory; update the extension',
        newer: true,
      };
    }
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

/** Host and pid in temp names, so a temp file of a process that died mid-save is known for garbage. */
const HOST = os.hostname().replace(/[^A-Za-z0-9-]/g, '_');
const STALE_TEMP_MS = 3600_000;

/** Temp file in the same directory, then rename: readers see the old or the new index, never half. */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${HOST}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
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
    // Node's ENOSPC/EIO messages name no file; the code stays for callers that check it.
    throw Object.assign(new Error(`could not save ${file} (left as it was): ${(err as Error).message}`), { code: (err as NodeJS.ErrnoException).code });
  }
}

/**
 * Removes temp files that writeFileAtomic() left when its process was killed mid-save: those of dead
 * processes on this host, and any older than an hour (another host's crash). Never the file itself.
 */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
  } catch {
    return;
  }
  for (const name of names) {
    const [host, pid] = name.slice(prefix.length).split('.');
    const tmp = path.join(dir, name);
    const age = Date.now() - (fs.statSync(tmp, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((host === HOST && !isPidAlive(Number(pid))) || age > STALE_TEMP_MS) fs.rmSync(tmp, { force: true });
  }
}
