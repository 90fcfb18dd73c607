import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { EvaluationDataRef } from '../store/records';

/**
 * Is a model's pinned evaluation data still the file that was pinned? Hashes the file (cached by size
 * and mtime, so a tree refresh does not re-read it). No `vscode` import.
 */
export type PinnedState = 'ok' | 'changed' | 'missing';

const cache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

export function fileSha256Sync(file: string): string | undefined {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) return undefined;
  const hit = cache.get(file);
  if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs) return hit.sha256;
  const sha256 = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  cache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
  return sha256;
}

export function pinnedState(data: EvaluationDataRef & { file: string }): PinnedState {
  const actual = fileSha256Sync(data.file);
  return actual === undefined ? 'missing' : actual === data.sha256 ? 'ok' : 'changed';
}

export function pinnedStateText(state: PinnedState, file: string): string {
  return state === 'ok' ? '' : state === 'missing' ? `the pinned evaluation data ${file} is missing` : `the pinned evaluation data ${file} changed on disk since it was pinned (another sha256)`;
}
