import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where everything lives under a store root (`.mlwb/`). Journal paths are relative, '/'-separated. */
export interface StoreLayout {
  root: string;
  indexFile: string;
  seriesDir: string;
}

export const EXPERIMENTS_JOURNAL = 'experiments.jsonl';
export const EDITS_JOURNAL = 'edits.jsonl';
export const RUNS_DIR = 'runs';

export function storeLayout(root: string): StoreLayout {
  const abs = path.resolve(root);
  return { root: abs, indexFile: path.join(abs, 'index.sqlite'), seriesDir: path.join(abs, 'index.series') };
}

/** Run ids name directories: only a conservative character set, so no id can climb out of the store. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeRunId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}

function assertSafeRunId(id: string): void {
  if (!isSafeRunId(id)) throw new Error(`unsafe run id: ${JSON.stringify(id)}`);
}

export function runJournalPath(runId: string): string {
  assertSafeRunId(runId);
  return `${RUNS_DIR}/${runId}/events.jsonl`;
}

export function runManifestPath(runId: string): string {
  assertSafeRunId(runId);
  return `${RUNS_DIR}/${runId}/run.json`;
}

/** Absolute path of a store-relative path, refusing anything that resolves outside the root. */
export function inStore(layout: StoreLayout, rel: string): string {
  const abs = path.resolve(layout.root, rel);
  if (abs !== layout.root && !abs.startsWith(layout.root + path.sep)) throw new Error(`path escapes the store: ${rel}`);
  return abs;
}

/**
 * A run file's path as the SDK records it (python-runner/mlwb/_files.py safe_relpath): relative,
 * '/'-separated, no "." or ".." segment, no NUL, no backslash or drive letter.
 */
export function isSafeRunFilePath(rel: unknown): rel is string {
  if (typeof rel !== 'string' || rel === '' || rel.length > 4096 || /[\0\\]/.test(rel) || /^[A-Za-z]:/.test(rel) || rel.startsWith('/')) return false;
  return rel.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Absolute path of a file of a run (under runs/<id>/files/), refusing a path that escapes it, also
 * through a symbolic link that points outside (checked on the real paths when the file exists).
 */
export function runFilePath(layout: StoreLayout, runId: string, rel: string): string {
  assertSafeRunId(runId);
  if (!isSafeRunFilePath(rel)) throw new Error(`file path ${JSON.stringify(rel)} is not a path inside run ${runId}'s files`);
  const dir = inStore(layout, `${RUNS_DIR}/${runId}/files`);
  const abs = path.join(dir, ...rel.split('/'));
  if (fs.lstatSync(abs, { throwIfNoEntry: false })) {
    const real = (p: string) => {
      try {
        return fs.realpathSync.native(p);
      } catch {
        return undefined; // a dangling link: nothing inside the run to open
      }
    };
    const realDir = real(dir);
    const realAbs = real(abs);
    if (!realDir || !realAbs?.startsWith(realDir + path.sep)) throw new Error(`file ${JSON.stringify(rel)} of run ${runId} resolves outside the run's files`);
  }
  return abs;
}

export function seriesRunDir(layout: StoreLayout, runId: string): string {
  assertSafeRunId(runId);
  return path.join(layout.seriesDir, runId);
}

/**
 * File-name stem for a metric key: a readable, lower-cased prefix plus a hash of the exact key, so
 * "../x", "a/b", very long names and keys differing only in case (case-insensitive file systems) are safe.
 */
export function seriesFileStem(layout: StoreLayout, runId: string, key: string): string {
  const readable = key.toLowerCase().replace(/[^a-z0-9_-]+/g, '_').slice(0, 48);
  const hash = createHash('sha1').update(key, 'utf8').digest('hex').slice(0, 16);
  return path.join(seriesRunDir(layout, runId), `${readable}-${hash}`);
}
