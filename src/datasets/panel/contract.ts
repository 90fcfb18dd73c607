/** Dataset profile panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, isRecord, messageType, type Ready } from '../../platform/webview-contract';
import type { DatasetProfile } from '../profile/types';

export const DATASET_PROTOCOL = 1;
/** The most rows one `rows` request may ask for. */
export const MAX_PAGE = 500;

export type { DatasetProfile };
export type { ColumnProfile, ColumnType } from '../profile/column';

export type ToDataset =
  | { type: 'profile'; v: typeof DATASET_PROTOCOL; data: DatasetProfile }
  | { type: 'rows'; start: number; rows: string[][] }
  | { type: 'progress'; message: string }
  | { type: 'error'; message: string };

export type FromDataset = Ready | { type: 'refresh' } | { type: 'openFile' } | { type: 'rows'; start: number; count: number };

/** What the webview keeps across reloads (the host re-profiles from it). */
export interface DatasetState {
  file: string;
}

export function parseFromDataset(raw: unknown): FromDataset {
  const type = messageType(raw, ['ready', 'refresh', 'openFile', 'rows'] as const);
  if (type !== 'rows') return { type };
  const r = raw as Record<string, unknown>;
  const start = r.start;
  const count = r.count;
  if (!isRecord(raw) || !Number.isInteger(start) || (start as number) < 0 || !Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_PAGE) {
    throw new BadMessage(`rows needs an integer start >= 0 and count in 1..${MAX_PAGE}`);
  }
  return { type, start: start as number, count: count as number };
}
