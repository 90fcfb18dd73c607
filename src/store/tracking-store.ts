import * as fs from 'node:fs';
import type { Database, SqlJsStatic } from 'sql.js';
import { ChangeProbe } from './change-probe';
import { appendExperimentEvent, appendRunEdit, experimentIdFor } from './edits';
import { experimentVisible, listExperiments } from './experiment-queries';
import { ingestStore, staleness, type IngestResult } from './ingest';
import { storeLayout, type StoreLayout } from './paths';
import { loadIndex, loadSqlJs, writeFileAtomic } from './persist';
import { listProblems, type IngestProblem } from './problems';
import type {
  ExperimentSummary, ListExperimentsOptions, ListRunsOptions, LogPage, LogQuery, RunActivity, RunComparison, RunDetail, RunList, SeriesOptions,
  SeriesView,
} from './query-types';
import type { ExperimentStatus } from './records';
import { runActivity } from './activity-queries';
import { compareRuns, getLogs, getRun } from './run-detail';
import { listRuns, runSummaries } from './run-queries';
import { migrate } from './schema';
import { pruneSeries, SeriesWriter } from './series';
import { querySeries } from './series-query';
import { all } from './sql';
import { DEFAULT_STALE_AFTER_MS, type LivenessOptions } from './status';

export interface OpenOptions {
  /** sql-wasm.wasm on disk (the extension ships it at dist/sql-wasm.wasm). */
  wasmPath: string;
  /** A "running" run silent for longer than this shows as crashed. */
  staleAfterMs?: number;
  /** Debounce of scheduleSave(). */
  saveDelayMs?: number;
  /** Journal read size. */
  chunkBytes?: number;
  /** Errors of background saves. */
  onError?: (err: unknown) => void;
}

/** What a refresh changed; `rebuilt` says why the index was rebuilt from the journals, if it was. */
export interface RefreshResult extends IngestResult {
  rebuilt?: string;
}

/**
 * The tracking store of one `.mlwb/` directory: journals are the truth, this keeps a sql.js index and
 * a series cache derived from them. Queries are synchronous; passes over the journals, edits and saves
 * are asynchronous and run one at a time.
 */
export class TrackingStore {
  /** The first pass, made by open(). */
  opened!: RefreshResult;
  private queue: Promise<unknown> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;
  private readonly probe: ChangeProbe;

  private constructor(
    readonly layout: StoreLayout,
    private readonly SQL: SqlJsStatic,
    private db: Database,
    private readonly opts: OpenOptions,
  ) {
    this.probe = new ChangeProbe(layout);
  }

  static async open(storeDir: string, opts: OpenOptions): Promise<TrackingStore> {
    const SQL = await loadSqlJs(opts.wasmPath);
    const layout = storeLayout(storeDir);
    const loaded = loadIndex(SQL, layout.indexFile);
    const store = new TrackingStore(layout, SQL, loaded.db ?? emptyIndex(SQL), opts);
    store.opened = await store.serial(() => (loaded.db ? store.refreshNow() : store.rebuildNow(loaded.reason)));
    return store;
  }

  /** Ingests what the journals gained since the last pass (rebuilding if offsets can't explain them). */
  refresh(): Promise<RefreshResult> {
    return this.serial(() => this.refreshNow());
  }

  /** Whether refresh() would find anything: a few stats, meant to be polled (see ChangeProbe). */
  hasChanges(): boolean {
    return !this.closed && this.probe.check();
  }

  rebuild(reason = 'requested'): Promise<RefreshResult> {
    return this.serial(() => this.rebuildNow(reason));
  }

  // Queries.

  listExperiments(opts?: ListExperimentsOptions): ExperimentSummary[] {
    return listExperiments(this.db, this.liveness(), opts);
  }

  listRuns(opts?: ListRunsOptions): RunList {
    return listRuns(this.db, this.liveness(), opts);
  }

  /** Totals, runs by status, and runs started per day over the last `days` days. */
  runActivity(days = 14): RunActivity {
    return runActivity(this.db, this.liveness(), days);
  }

  getRun(id: string, opts: { logLimit?: number } = {}): RunDetail | undefined {
    return getRun(this.db, this.liveness(), id, opts.logLimit);
  }

  getLogs(run: string, query?: LogQuery): LogPage {
    return getLogs(this.db, run, query);
  }

  getSeries(run: string, key: string, opts?: SeriesOptions): SeriesView | undefined {
    return querySeries(this.db, this.layout, run, key, opts);
  }

  compareRuns(ids: readonly string[]): RunComparison {
    return compareRuns(this.db, this.liveness(), ids);
  }

  /** Journal lines the index could not take in (latest first). */
  problems(limit?: number): IngestProblem[] {
    return listProblems(this.db, limit);
  }

  // Edits: appended to a journal, then ingested from it like any other change.

  async createExperiment(name: string, description?: string): Promise<string> {
    const id = experimentIdFor(name);
    if (id === '') throw new Error('an experiment needs a name');
    await this.edit(() => {
      if (experimentVisible(this.db, this.liveness(), id)) throw new Error(`experiment "${id}" already exists`);
      appendExperimentEvent(this.layout, { t: 'experiment.created', id, name: id.split('/').pop() ?? id, description });
    });
    return id;
  }

  renameExperiment(id: string, name: string): Promise<void> {
    return this.editExperiment(id, () => appendExperimentEvent(this.layout, { t: 'experiment.renamed', id, name: nonEmpty(name) }));
  }

  describeExperiment(id: string, description: string): Promise<void> {
    return this.editExperiment(id, () => appendExperimentEvent(this.layout, { t: 'experiment.described', id, description }));
  }

  setExperimentStatus(id: string, status: ExperimentStatus): Promise<void> {
    return this.editExperiment(id, () => appendExperimentEvent(this.layout, { t: 'experiment.status', id, status }));
  }

  /** Its runs (those created until now) go with it, also after a rebuild. */
  deleteExperiment(id: string): Promise<void> {
    return this.editExperiment(id, () => appendExperimentEvent(this.layout, { t: 'experiment.deleted', id }));
  }

  renameRun(run: string, name: string): Promise<void> {
    return this.editRun(run, () => appendRunEdit(this.layout, { t: 'run.renamed', run, name: nonEmpty(name) }));
  }

  setRunNotes(run: string, notes: string): Promise<void> {
    return this.editRun(run, () => appendRunEdit(this.layout, { t: 'run.notes', run, notes }));
  }

  setRunTags(run: string, tags: string[]): Promise<void> {
    return this.editRun(run, () => appendRunEdit(this.layout, { t: 'run.tags', run, tags: [...new Set(tags)] }));
  }

  deleteRun(run: string): Promise<void> {
    return this.editRun(run, () => appendRunEdit(this.layout, { t: 'run.deleted', run }));
  }

  // Persistence.

  /** Saves after a quiet period; bursts of changes cost one save. */
  scheduleSave(): void {
    if (this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saveNow().catch((err) => this.opts.onError?.(err));
    }, this.opts.saveDelayMs ?? 2000);
    this.saveTimer.unref();
  }

  /** Re-ingests first (another window may have appended), then writes index.sqlite atomically. */
  saveNow(): Promise<void> {
    return this.serial(async () => {
      await this.refreshNow();
      if (!this.dirty || !fs.existsSync(this.layout.root)) return;
      writeFileAtomic(this.layout.indexFile, this.db.export());
      this.dirty = false;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saveNow();
    this.db.close();
  }

  // Internals.

  private liveness(): LivenessOptions {
    return { staleAfterMs: this.opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS, now: Date.now() };
  }

  private async refreshNow(): Promise<RefreshResult> {
    this.probe.prime(this.db);
    const stale = staleness(this.db, this.layout);
    if (stale) return this.rebuildNow(stale);
    return this.changed(await ingestStore(this.context(this.db)));
  }

  /** Ingests everything into a fresh index, then swaps it in (queries keep the old one meanwhile). */
  private async rebuildNow(reason: string): Promise<RefreshResult> {
    const db = emptyIndex(this.SQL);
    this.probe.prime(db);
    let result: IngestResult;
    try {
      result = await ingestStore(this.context(db));
    } catch (err) {
      db.close();
      throw err;
    }
    this.db.close();
    this.db = db;
    pruneSeries(this.layout, new Set(all(db, 'SELECT id FROM runs WHERE has_manifest = 1').map((r) => String(r.id))));
    this.dirty = true;
    this.scheduleSave();
    return { ...result, rebuilt: reason };
  }

  private context(db: Database) {
    return { db, layout: this.layout, series: new SeriesWriter(this.layout), chunkBytes: this.opts.chunkBytes };
  }

  private changed(result: IngestResult): RefreshResult {
    if (result.runs.length > 0 || result.experiments.length > 0 || result.problems.length > 0) {
      this.dirty = true;
      this.scheduleSave();
    }
    return result;
  }

  private edit(append: () => void): Promise<void> {
    return this.serial(async () => {
      append();
      await this.refreshNow();
    });
  }

  private editExperiment(id: string, append: () => void): Promise<void> {
    return this.edit(() => {
      if (!experimentVisible(this.db, this.liveness(), id)) throw new Error(`no experiment "${id}"`);
      append();
    });
  }

  private editRun(run: string, append: () => void): Promise<void> {
    return this.edit(() => {
      if (runSummaries(this.db, this.liveness(), [run]).length === 0) throw new Error(`no run "${run}"`);
      append();
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function emptyIndex(SQL: SqlJsStatic): Database {
  const db = new SQL.Database();
  migrate(db);
  return db;
}

function nonEmpty(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('a name cannot be empty');
  return trimmed;
}
