/** Overview panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, messageType, type Ready } from '../platform/webview-contract';
import type { RunStatus } from '../store/records';

export const OVERVIEW_PROTOCOL = 2;

export interface OverviewData {
  storePath: string;
  experiments: number;
  runs: number;
  models: number;
  byStatus: Record<RunStatus, number>;
  /** Runs started per day (UTC date), oldest first, the last 14 days. */
  perDay: { day: string; counts: Record<RunStatus, number> }[];
}

export type ToOverview =
  | { type: 'overview'; v: typeof OVERVIEW_PROTOCOL; data: OverviewData }
  | { type: 'error'; message: string };

export type FromOverview = Ready | { type: 'refresh' } | { type: 'showRuns'; status: RunStatus };

const STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'crashed'];

export function parseFromOverview(raw: unknown): FromOverview {
  const type = messageType(raw, ['ready', 'refresh', 'showRuns'] as const);
  if (type !== 'showRuns') return { type };
  const status = (raw as { status?: unknown }).status;
  if (!STATUSES.includes(status as RunStatus)) throw new BadMessage('showRuns needs a run status');
  return { type, status: status as RunStatus };
}

export const RUN_STATUSES = STATUSES;
