import * as os from 'node:os';
import type { RunStatus } from './records';

export interface LivenessOptions {
  /** No journal activity for this long means the process is gone. */
  staleAfterMs: number;
  now?: number;                   // epoch ms
  hostname?: string;
  isPidAlive?: (pid: number) => boolean;
}

export const DEFAULT_STALE_AFTER_MS = 30_000;

export interface RunLiveness {
  status: string;
  host?: string;
  pid?: number;
  lastActivity?: number;          // epoch seconds
}

/**
 * The status to show: a journal that still says "running" while its process is gone shows "crashed".
 * Derived, never written back. A dead pid on this host is certain; a live one may be a reused pid,
 * so a silent journal (no heartbeat) counts as crashed too.
 */
export function derivedStatus(run: RunLiveness, opts: LivenessOptions): RunStatus {
  const status = run.status as RunStatus;
  if (status !== 'running') return status;
  const hostname = opts.hostname ?? os.hostname();
  const alive = opts.isPidAlive ?? isPidAlive;
  if (run.host === hostname && typeof run.pid === 'number' && !alive(run.pid)) return 'crashed';
  const now = opts.now ?? Date.now();
  if (run.lastActivity !== undefined && now - run.lastActivity * 1000 > opts.staleAfterMs) return 'crashed';
  return 'running';
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
