import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { appendRecords } from './append';
import { inStore, isSafeRunId, RUNS_DIR, type StoreLayout } from './paths';
import { JOURNAL_VERSION, type MetricSnapshotEntry, type ModelStage, type RegistryEvent } from './records';
import { MODEL_STAGES, REGISTRY_JOURNAL, REGISTRY_MODELS_DIR, REGISTRY_TMP_DIR, safeFileName, versionDir } from './registry-names';
import { maxVersion } from './registry-queries';
import { all, num } from './sql';

/**
 * The file side of the registry. Order of operations, so that no journal record ever names a file
 * that is not there:
 *   register: copy (hashing as it goes) into registry/tmp/<random>/, then under the lock rename that
 *             directory to registry/models/<model dir>/<n>/, then append version.registered;
 *             any failure removes what was copied.
 *   delete:   append version.deleted / model.deleted under the lock, move the directory into
 *             registry/tmp/ under the lock, then remove the bytes. A crash in between leaves
 *             unreferenced bytes (never a listed version without its file).
 */

export function newEventId(): string {
  return randomBytes(8).toString('hex');
}

/** A registry record as the caller describes it; version, time stamp and id are added on append. */
export type RegistryDraft = RegistryEvent extends infer T ? (T extends unknown ? Omit<T, 'v' | 'ts' | 'id'> : never) : never;

/** Appends registry records in one write (all or none); returns them as written. */
export function appendRegistryEvents(layout: StoreLayout, drafts: RegistryDraft[]): RegistryEvent[] {
  const ts = Date.now() / 1000;
  const records = drafts.map((d) => ({ v: JOURNAL_VERSION, ts, id: newEventId(), ...d }) as RegistryEvent);
  appendRecords(inStore(layout, REGISTRY_JOURNAL), records);
  return records;
}

export interface StagedCopy {
  /** Absolute temp directory holding the copy. */
  dir: string;
  name: string;
  size: number;
  sha256: string;
}

/** Copies `source` into registry/tmp/<random>/, hashing the bytes as they are written; fsynced. */
export async function stageCopy(layout: StoreLayout, source: string): Promise<StagedCopy> {
  const dir = inStore(layout, `${REGISTRY_TMP_DIR}/${newEventId()}`);
  const name = safeFileName(source);
  fs.mkdirSync(dir, { recursive: true });
  try {
    const hash = createHash('sha256');
    let size = 0;
    const target = path.join(dir, name);
    await pipeline(
      fs.createReadStream(source, { highWaterMark: 1024 * 1024 }),
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      }),
      fs.createWriteStream(target, { flags: 'wx' }),
    );
    const fd = fs.openSync(target, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return { dir, name, size, sha256: hash.digest('hex') };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Under the lock: the next number of `model` (never one given before, nor one whose directory exists
 * — bytes left by a crash), and the staged directory renamed to it. Returns the store-relative path.
 */
export function placeVersion(db: Database, layout: StoreLayout, model: string, staged: StagedCopy): { version: number; path: string; dir: string } {
  let version = maxVersion(db, model) + 1;
  while (fs.existsSync(inStore(layout, versionDir(model, version)))) version++;
  const rel = versionDir(model, version);
  const dir = inStore(layout, rel);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(staged.dir, dir);
  return { version, path: `${rel}/${staged.name}`, dir };
}

/** Removes what crashed registrations and deletions left in registry/tmp/ (older than a day: not a copy in progress). */
export function sweepTmp(layout: StoreLayout, olderThanMs = 24 * 3600 * 1000): void {
  const dir = inStore(layout, REGISTRY_TMP_DIR);
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const entry = path.join(dir, name);
    const st = fs.statSync(entry, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > olderThanMs) fs.rmSync(entry, { recursive: true, force: true });
  }
}

/** Moves a registry directory out of the way (fast, under the lock); returns where it went. */
export function moveToTrash(layout: StoreLayout, rel: string): string | undefined {
  const from = inStore(layout, rel);
  if (!rel.startsWith(`${REGISTRY_MODELS_DIR}/`) || !fs.existsSync(from)) return undefined;
  const to = inStore(layout, `${REGISTRY_TMP_DIR}/deleted-${newEventId()}`);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.renameSync(from, to);
  return to;
}

/** Removes bytes after the journal no longer references them; failures are only logged by the caller. */
export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Where a source file lives, as recorded: store-relative when inside the store, else absolute; and the run it belongs to. */
export function describeSource(layout: StoreLayout, file: string): { sourceFile: string; run?: string } {
  const abs = path.resolve(file);
  const rel = path.relative(layout.root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return { sourceFile: abs };
  const parts = rel.split(path.sep);
  const run = parts[0] === RUNS_DIR && parts.length > 2 && isSafeRunId(parts[1]) ? parts[1] : undefined;
  return { sourceFile: parts.join('/'), run };
}

/** The source run's metric summaries now (JSON-safe: a NaN last value travels as "NaN"). */
export function metricsSnapshot(db: Database, run: string): Record<string, MetricSnapshotEntry> {
  const out: Record<string, MetricSnapshotEntry> = {};
  for (const r of all(db, 'SELECT * FROM metric_summaries WHERE run = ? ORDER BY key', [run])) {
    const last = num(r.last);
    out[String(r.key)] = {
      last: last === undefined ? 'NaN' : last,
      ...(num(r.min) !== undefined ? { min: num(r.min) } : {}),
      ...(num(r.max) !== undefined ? { max: num(r.max) } : {}),
      count: Number(r.count),
      ...(num(r.last_step) !== undefined ? { step: num(r.last_step) } : {}),
    };
  }
  return out;
}

export function validStage(stage: unknown): ModelStage {
  if (!MODEL_STAGES.includes(stage as ModelStage)) throw new Error(`unknown stage ${JSON.stringify(stage)}: expected one of ${MODEL_STAGES.join(', ')}`);
  return stage as ModelStage;
}

export function validVersion(version: unknown): number {
  if (!Number.isInteger(version) || (version as number) < 1) throw new Error(`invalid version ${JSON.stringify(version)}: versions are 1, 2, 3…`);
  return version as number;
}

export function validStrings(value: unknown, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`${what} must be a list of strings`);
  return [...(value as string[])];
}

export function validTags(value: unknown): string[] | undefined {
  const tags = validStrings(value, 'tags');
  return tags && [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
}
