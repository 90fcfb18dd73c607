import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { appendRecords } from './append';
import type { Draft } from './edits';
import { inStore, runJournalPath, runManifestPath, RUNS_DIR, type StoreLayout } from './paths';
import { writeFileAtomic } from './persist';
import type { SchedulerJob } from './query-types';
import { JOURNAL_VERSION, type RunEvent, type RunManifest, type RunStatus } from './records';
import { all, str } from './sql';

/**
 * Runs created ahead of their process: a job submitted to a scheduler (Slurm) gets its run at submission,
 * `queued`; the runner continues it on the compute node (`python -m mlwb run --run-id`).
 */

/** A time-sortable id as the SDK makes them (python-runner/mlwb/_store.py): `YYYYMMDD-HHMMSS-<6 hex>`, UTC. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString();
  return `${t.slice(0, 10).replace(/-/g, '')}-${t.slice(11, 19).replace(/:/g, '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates `runs/<id>/` (mkdir, so an id taken meanwhile fails instead of sharing a directory), writes
 * run.json atomically and appends `status: queued`. Returns the run's directory.
 */
export function createQueuedRun(layout: StoreLayout, id: string, manifest: Omit<RunManifest, 'v' | 'id'>): string {
  fs.mkdirSync(inStore(layout, RUNS_DIR), { recursive: true });
  const dir = path.dirname(inStore(layout, runManifestPath(id)));
  fs.mkdirSync(dir);
  const full: RunManifest = { v: JOURNAL_VERSION, id, ...manifest };
  writeFileAtomic(path.join(dir, 'run.json'), Buffer.from(`${JSON.stringify(full, null, 2)}\n`, 'utf8'));
  appendRunEvents(layout, id, [{ t: 'status', status: 'queued' }]);
  return dir;
}

/** Fresh run ids, none of which names an existing run directory. */
export function freeRunIds(layout: StoreLayout, n: number): string[] {
  const ids = new Set<string>();
  while (ids.size < n) {
    const id = newRunId();
    if (!fs.existsSync(inStore(layout, `${RUNS_DIR}/${id}`))) ids.add(id);
  }
  return [...ids];
}

/**
 * Appends records to a run's journal in one O_APPEND write (whole lines: a runner appending to the same
 * journal at the same time never interleaves with them). Used for what the extension learns about a job.
 */
export function appendRunEvents(layout: StoreLayout, runId: string, events: readonly Draft<RunEvent>[]): void {
  const ts = Date.now() / 1000;
  appendRecords(inStore(layout, runJournalPath(runId)), events.map((e) => ({ v: JOURNAL_VERSION, ts, ...e })));
}

/** A run whose job may still change: queued or running by its journal, or its job not over. */
export interface UnfinishedJob {
  run: string;
  /** The journal's status (not derived: a job killed by Slurm looks crashed first, and still needs its end). */
  status: RunStatus;
  job: SchedulerJob;
}

/** Slurm states in which a job is not over yet. */
export const ACTIVE_JOB_STATES: readonly string[] = ['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED'];

export function unfinishedJobs(db: Database): UnfinishedJob[] {
  const rows = all(
    db,
    `SELECT id, status, scheduler, job_id, job_state, job_reason, job_node, job_output FROM runs
     WHERE scheduler IS NOT NULL AND has_manifest = 1 AND deleted = 0
       AND (status IN ('queued', 'running') OR job_state IN (SELECT value FROM json_each($active)))
     ORDER BY id`,
    { $active: JSON.stringify(ACTIVE_JOB_STATES) },
  );
  return rows.map((r) => ({
    run: String(r.id),
    status: String(r.status) as RunStatus,
    job: {
      scheduler: 'slurm',
      id: String(r.job_id),
      state: String(r.job_state),
      ...(str(r.job_reason) ? { reason: str(r.job_reason) } : {}),
      ...(str(r.job_node) ? { node: str(r.job_node) } : {}),
      ...(str(r.job_output) ? { output: str(r.job_output) } : {}),
    },
  }));
}
