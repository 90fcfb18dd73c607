import * as fs from 'node:fs';
import type { Draft } from '../store/edits';
import type { StoreLayout } from '../store/paths';
import type { RunSummary } from '../store/query-types';
import type { RunEvent, RunStatus } from '../store/records';
import { appendRunEvents, type UnfinishedJob } from '../store/scheduled-runs';
import type { Slurm } from './slurm-cli';
import { endedBySlurm, endOfRun, isFinalState, type JobInfo } from './slurm-parsers';

/** The store as the tracker needs it (TrackingStore). */
export interface TrackerStore {
  readonly layout: StoreLayout;
  refresh(): Promise<unknown>;
  unfinishedJobs(): UnfinishedJob[];
  getRun(id: string, opts?: { logLimit?: number }): Pick<RunSummary, 'status' | 'job'> | undefined;
}

export interface PollResult {
  /** Jobs that may still change after this pass (0: polling can stop). */
  unfinished: number;
  /** Runs the pass wrote records to. */
  changed: string[];
  /** Runs the pass ended itself (the job ended without the runner's final status). */
  ended: { run: string; status: 'cancelled' | 'failed'; state: string }[];
  /** Runs followed while their job was live that are over now (final status, job ended), by whoever ended them; each once. */
  finished: FinishedRun[];
}

export interface FinishedRun {
  run: string;
  status: RunStatus;
  /** The job's last Slurm state. */
  state?: string;
}

const TAIL_LINES = 40;
const TAIL_BYTES = 64 * 1024;

/**
 * Follows the jobs of scheduled runs: appends a `scheduler` record to a run's journal whenever its job's
 * state changes, and when a job is over but its run has no final status (never started, or killed by
 * Slurm: timeout, out of memory, cancelled while pending), ends the run itself with the tail of the job's
 * output as log lines. No `vscode` import.
 */
export class JobTracker {
  /** Jobs seen over in an earlier pass: only then is a missing final status the runner's silence, not a slow file system. */
  private readonly seenOver = new Set<string>();
  /** Jobs Slurm no longer knows whose runs have their final status: nothing left to learn. */
  private readonly forgotten = new Set<string>();
  /** Runs seen live (queued/running, job in the queue) or submitted here: their end is news to report once. */
  private readonly watched = new Set<string>();

  constructor(
    private readonly store: TrackerStore,
    private readonly slurm: Slurm,
  ) {}

  async poll(): Promise<PollResult> {
    await this.store.refresh();
    const result: PollResult = { unfinished: 0, changed: [], ended: [], finished: [] };
    const first = this.jobs();
    if (first.length > 0) await this.pass(first, result);
    const unfinished = this.jobs();
    result.unfinished = unfinished.length;
    result.finished = this.finishedSinceWatched(unfinished);
    return result;
  }

  /** Runs submitted from here: their end is reported even if the job is over before a pass sees it queued. */
  watch(runs: readonly string[]): void {
    for (const r of runs) this.watched.add(r);
  }

  private async pass(first: UnfinishedJob[], result: PollResult): Promise<void> {
    const ids = [...new Set(first.map((j) => j.job.id))];
    const queued = await this.slurm.queued(ids);
    const left = ids.filter((id) => !queued.has(id));
    const ended = await this.slurm.ended(left);
    // What the runners wrote before their jobs left the queue.
    await this.store.refresh();
    for (const j of this.jobs()) {
      if (!ids.includes(j.job.id)) continue; // submitted during this pass
      if (queued.has(j.job.id) && (j.status === 'queued' || j.status === 'running')) this.watched.add(j.run);
      const seen = queued.get(j.job.id) ?? ended.get(j.job.id);
      const records = seen ? this.follow(j, seen) : this.lost(j);
      if (records.length > 0) {
        appendRunEvents(this.store.layout, j.run, records);
        result.changed.push(j.run);
        const status = records.find((r): r is Extract<Draft<RunEvent>, { t: 'status' }> => r.t === 'status');
        if (status) result.ended.push({ run: j.run, status: status.status as 'cancelled' | 'failed', state: seen?.state ?? 'UNKNOWN' });
      }
    }
    if (result.changed.length > 0) await this.store.refresh();
  }

  /**
   * Watched runs no longer unfinished: over by their runner, by this pass, or by another window. A run that
   * was already over when first seen (before this window followed it) is never watched, so never reported.
   */
  private finishedSinceWatched(unfinished: UnfinishedJob[]): FinishedRun[] {
    const live = new Set(unfinished.map((j) => j.run));
    const finished: FinishedRun[] = [];
    for (const run of this.watched) {
      if (live.has(run)) continue;
      this.watched.delete(run);
      const r = this.store.getRun(run, { logLimit: 0 });
      if (r && r.status !== 'queued' && r.status !== 'running') finished.push({ run, status: r.status, ...(r.job ? { state: r.job.state } : {}) });
    }
    return finished;
  }

  private jobs(): UnfinishedJob[] {
    return this.store.unfinishedJobs().filter((j) => !this.forgotten.has(j.job.id));
  }

  private follow(j: UnfinishedJob, seen: JobInfo): Draft<RunEvent>[] {
    const records: Draft<RunEvent>[] = [];
    const reason = seen.reason && seen.reason !== 'None' ? seen.reason : undefined;
    if (seen.state !== j.job.state || reason !== j.job.reason || (seen.node !== undefined && seen.node !== j.job.node)) {
      records.push({
        t: 'scheduler', scheduler: 'slurm', job_id: j.job.id, state: seen.state,
        ...(reason ? { reason } : {}), ...(seen.node ? { node: seen.node } : {}),
      });
    }
    if (isFinalState(seen.state) && (j.status === 'queued' || j.status === 'running')) {
      if (this.seenOver.has(j.job.id)) records.push(...this.end(j, seen.state));
      else this.seenOver.add(j.job.id);
    } else if (endedBySlurm(seen.state) && seen.state !== j.job.state) {
      records.push(...this.slurmSays(j, seen.state));
    }
    return records;
  }

  /**
   * The runner ended the run itself, but Slurm ended the job (time limit: SIGTERM, the runner says cancelled):
   * Slurm's own lines from the job output say why (the runner's log has the script's lines already).
   */
  private slurmSays(j: UnfinishedJob, state: string): Draft<RunEvent>[] {
    const lines = (j.job.output ? outputTail(j.job.output) ?? [] : []).filter((l) => /^slurmstepd/.test(l));
    return [
      { t: 'log', level: 'warn', msg: `Slurm job ${j.job.id} ended ${state}`, meta: { source: 'slurm' } },
      ...lines.map((msg): Draft<RunEvent> => ({ t: 'log', level: 'warn', msg, stream: 'stderr', meta: { source: 'slurm-output' } })),
    ];
  }

  /** Not in the queue and unknown to sacct/scontrol (purged long ago, or the controller lost it). */
  private lost(j: UnfinishedJob): Draft<RunEvent>[] {
    if (j.status !== 'queued' && j.status !== 'running') {
      this.forgotten.add(j.job.id);
      return [];
    }
    if (!this.seenOver.has(j.job.id)) {
      this.seenOver.add(j.job.id);
      return [];
    }
    this.forgotten.add(j.job.id); // its last known state stays in the journal; there will be no other
    return this.end(j, 'UNKNOWN', `Slurm: job ${j.job.id} is no longer known to Slurm (not in squeue, sacct or scontrol)`);
  }

  private end(j: UnfinishedJob, state: string, why?: string): Draft<RunEvent>[] {
    const outcome = endOfRun(state);
    const error = why ?? (state === 'COMPLETED' ? `Slurm: job ${j.job.id} COMPLETED without the run reporting how it ended (see its output)` : outcome.error);
    const tail = j.job.output ? outputTail(j.job.output) : undefined;
    const logs: Draft<RunEvent>[] = [
      { t: 'log', level: 'warn', msg: `Slurm job ${j.job.id} ended ${state}${tail ? `; the last lines of its output (${j.job.output}):` : j.job.output ? `; its output file ${j.job.output} is missing` : ''}`, meta: { source: 'slurm' } },
      ...(tail ?? []).map((msg): Draft<RunEvent> => ({ t: 'log', level: 'info', msg, stream: 'stdout', meta: { source: 'slurm-output' } })),
    ];
    return [...logs, { t: 'status', status: outcome.status, error }];
  }
}

/** The last lines of a job's output file, or undefined when it cannot be read. */
export function outputTail(file: string, lines = TAIL_LINES): string[] | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8').replace(/\r/g, '');
    const all = text.split('\n');
    if (start > 0) all.shift(); // a partial first line
    while (all.length > 0 && all[all.length - 1] === '') all.pop();
    return all.slice(-lines);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Polls while there are unfinished jobs, then stops by itself; `ensure()` starts it again (after a
 * submission, or when another window's submission shows up in the store).
 */
export class JobPoller {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<PollResult | undefined> | undefined;
  private disposed = false;

  constructor(
    private readonly tracker: Pick<JobTracker, 'poll'>,
    private readonly intervalMs: () => number,
    private readonly report: (outcome: PollResult | Error) => void,
  ) {}

  get active(): boolean {
    return this.timer !== undefined || this.inFlight !== undefined;
  }

  ensure(): void {
    if (!this.active && !this.disposed) this.schedule(0);
  }

  /** A pass now (after the current one, if one is running). */
  async pollNow(): Promise<PollResult | undefined> {
    if (this.inFlight) await this.inFlight;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.tick();
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, delay);
  }

  private async tick(): Promise<PollResult | undefined> {
    if (this.disposed) return undefined;
    const pass = this.tracker.poll().then(
      (r) => {
        this.report(r);
        return r;
      },
      (err: unknown) => {
        this.report(err instanceof Error ? err : new Error(String(err)));
        return undefined;
      },
    );
    this.inFlight = pass;
    const result = await pass;
    this.inFlight = undefined;
    // Keep going while something may change, and after an error (the cluster may be back next time).
    if (!this.disposed && !this.timer && (result === undefined || result.unfinished > 0)) this.schedule(this.intervalMs());
    return result;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
