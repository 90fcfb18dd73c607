import type { RunSummary } from '../store/query-types';
import { endedBySlurm } from './slurm-parsers';

export type NoticeAction = 'Open Run' | 'Show Job Output' | 'Rerun';

/** What to tell the user when a Slurm run is over: worded and offered like a local run's end (run-manager.ts). */
export interface EndNotice {
  severity: 'info' | 'error';
  message: string;
  actions: NoticeAction[];
}

/**
 * completed → info with Open Run; cancelled (by the user) → info; anything else (failed, crashed, or a job
 * Slurm killed: TIMEOUT, OUT_OF_MEMORY, …) → error with the run's error and its last error lines.
 * No `vscode` import.
 */
export function endNotice(run: Pick<RunSummary, 'name' | 'status' | 'duration' | 'job'> & { error?: string }, errorLines: readonly string[]): EndNotice {
  const job = run.job ? `job ${run.job.id}` : 'its job';
  if (run.status === 'completed') {
    const took = run.duration !== undefined ? ` in ${run.duration.toFixed(1)} s` : '';
    return { severity: 'info', message: `Slurm run ${run.name} completed${took} (${job}).`, actions: ['Open Run'] };
  }
  const state = run.job?.state;
  // The runner takes a time limit's SIGTERM for a cancel: Slurm's state says it was not the user's.
  if (run.status === 'cancelled' && !(state && endedBySlurm(state))) return { severity: 'info', message: `Slurm run ${run.name} was cancelled (${job}).`, actions: [] };
  const lines = errorLines.filter((l) => l.trim() && l !== run.error).slice(-3);
  const detail = [run.error, ...lines].filter(Boolean).join(' — ').slice(0, 500);
  return {
    severity: 'error',
    message: `Slurm run ${run.name} ${run.status} (${job}${state ? ` ${state}` : ''})${detail ? `: ${detail}` : '.'}`,
    actions: ['Show Job Output', 'Open Run', 'Rerun'],
  };
}
