import { createHash } from 'node:crypto';
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
