import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Database, SqlJsStatic } from 'sql.js';
import { ChangeProbe } from './change-probe';
import { appendExperimentEvent, appendRunEdit, appendRunEnd, experimentIdFor } from './edits';
import { experimentVisible, listExperiments } from './experiment-queries';
import { ingestRegistry, ingestStore, staleness, type IngestResult } from './ingest';
import { journalSize } from './ingest-journal';
import { inspectModelFile } from './model-format';
import { storeLayout, type StoreLayout } from './paths';
import { loadIndex, loadSqlJs, removeStaleTemps, writeFileAtomic } from './persist';
import { listProblems, type IngestProblem } from './problems';
import type {
  ExperimentSummary, ListExperimentsOptions, ListRunsOptions, LogPage, LogQuery, RunActivity, RunComparison, RunDetail, RunList, SeriesOptions,
  SeriesView,
} from './query-types';
import type { ExperimentStatus, GateRecord, LogLevel, ModelStage, SignatureColumn } from './records';
import { evaluationDataOf, gateOf, signatureOf } from './ingest-registry';
import {
  appendRegistryEvents, describeSource, metricsSnapshot, moveToTrash, placeVersion, removeDir, stageCopy, sweepTmp, validStage, validStrings, validTags,
  validVersion, type RegistryDraft,
} from './registry-edits';
import { withRegistryLock } from './registry-lock';
import { modelDirName, REGISTRY_JOURNAL, REGISTRY_MODELS_DIR, validAlias, validModelName } from './registry-names';
import {
  archivedByEvent, evaluationDataPath, getVersion, listModels, listVersions, modelExists, modelHistory, versionByAlias, versionOfEvent, versionSummary,
} from './registry-queries';
import type {
  AliasChange, ModelSummary, ModelVersionDetail, ModelVersionSummary, RegisteredVersion, RegisterVersionOptions, RegistryHistoryEntry, StageChange,
} from './registry-types';
import { runActivity } from './activity-queries';
import { unfinishedJobs, type UnfinishedJob } from './scheduled-runs';
import { compareRuns, getLogs, getRun, lastLogLines } from './run-detail';
import { lastMetricValues, metricKeys, runTagNames } from './run-facets';
import { listRuns, runSummaries } from './run-queries';
import { migrate } from './schema';
import { pruneSeries, SeriesWriter } from './series';
import { querySeries } from './series-query';
import { all, one } from './sql';
import { DEFAULT_STALE_AFTER_MS, type LivenessOptions } from './status';
import { getTuningSession, listTuningSessions } from './tuning-queries';
import { paramImportance } from '../tuning/analysis';
import type { ParamImportance, TuningStudy, TuningStudySummary } from '../tuning/model';

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
  /** index.sqlite belongs to a newer version of the extension (another window may use it): never overwritten. */
  private indexIsNewer = false;
  private readonly probe: ChangeProbe;
  /**
   * What passes made for edits and saves ingested, reported by the next refresh(): those passes prime
   * the probe too, so otherwise nobody would hear of a run that ended just before a save.
   */
  private unreported: RefreshResult = noChanges();

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
    removeStaleTemps(layout.indexFile);
    const loaded = loadIndex(SQL, layout.indexFile);
    const store = new TrackingStore(layout, SQL, loaded.db ?? emptyIndex(SQL), opts);
    store.indexIsNewer = loaded.newer === true;
    store.opened = await store.serial(async () => {
      await (loaded.db ? store.refreshNow() : store.rebuildNow(loaded.reason));
      return store.takeUnreported();
    });
    return store;
  }

  /** Ingests what the journals gained since the last pass (rebuilding if offsets can't explain them). */
  refresh(): Promise<RefreshResult> {
    return this.serial(async () => {
      await this.refreshNow();
      return this.takeUnreported();
    });
  }

  /** Whether refresh() would report anything: a few stats, meant to be polled (see ChangeProbe). */
  hasChanges(): boolean {
    return !this.closed && (hasAny(this.unreported) || this.probe.check());
  }

  rebuild(reason = 'requested'): Promise<RefreshResult> {
    return this.serial(async () => {
      await this.rebuildNow(reason);
      return this.takeUnreported();
    });
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

  lastLogLines(run: string, count: number, level: LogLevel = 'error'): string[] {
    return lastLogLines(this.db, run, count, level);
  }

  getSeries(run: string, key: string, opts?: SeriesOptions): SeriesView | undefined {
    return querySeries(this.db, this.layout, run, key, opts);
  }

  compareRuns(ids: readonly string[]): RunComparison {
    return compareRuns(this.db, this.liveness(), ids);
  }

  /** Scheduled runs (Slurm jobs) whose job may still change, by their journal's status (see scheduled-runs.ts). */
  unfinishedJobs(): UnfinishedJob[] {
    return unfinishedJobs(this.db);
  }

  /** Metric keys logged by the runs the UI shows, sorted (what runs can be sorted or described by). */
  metricKeys(): string[] {
    return metricKeys(this.db);
  }

  /** Tags of the runs the UI shows, sorted. */
  runTagNames(): string[] {
    return runTagNames(this.db);
  }

  /** One metric's last value for each of `runs` that logged it. */
  lastMetricValues(runs: readonly string[], key: string): Map<string, number> {
    return lastMetricValues(this.db, runs, key);
  }

  // Hyperparameter tuning (tuning.* records of the runs' journals; see records.ts).

  /** Tuning sessions (of one run, or of every run the UI shows), newest first, with their best trials. */
  listTuningSessions(run?: string): TuningStudySummary[] {
    return listTuningSessions(this.db, this.liveness(), run);
  }

  /** A session with every trial (params, values, intermediate values, states), best so far and best trials (Pareto front). */
  getTuningSession(id: string): TuningStudy | undefined {
    return getTuningSession(this.db, this.liveness(), id);
  }

  /** Parameter importance for one objective: optuna's when the tuning process recorded it, else ours (src/tuning/analysis.ts). */
  tuningImportance(id: string, objective = 0): ParamImportance | undefined {
    const study = this.getTuningSession(id);
    return study && paramImportance(study, objective);
  }

  // Model registry (registry/events.jsonl). Changes are decided under registry/.lock against the
  // journal as it is then, appended, then ingested like any other edit; see registry-edits.ts.

  /** Every registered model, by name. */
  listModels(): ModelSummary[] {
    return listModels(this.db, this.layout);
  }

  /** A model's versions, newest first. */
  listVersions(model: string): ModelVersionSummary[] {
    return listVersions(this.db, model);
  }

  /** A version with its stage history, its file (and whether it is still there) and its source run if that still exists. */
  getVersion(model: string, version: number): ModelVersionDetail | undefined {
    return getVersion(this.db, this.layout, this.liveness(), model, version);
  }

  /** The version holding `alias` ("latest": the latest version). */
  versionByAlias(model: string, alias: string): ModelVersionSummary | undefined {
    return versionByAlias(this.db, model, alias);
  }

  /** Every change of a model (registrations, stage transitions, aliases, …) with its time, in order. */
  modelHistory(model: string): RegistryHistoryEntry[] {
    return modelHistory(this.db, model);
  }

  async createModel(name: string, opts: { description?: string; tags?: string[] } = {}): Promise<string> {
    const model = validModelName(name);
    const tags = validTags(opts.tags);
    const description = optionalString(opts.description, 'description');
    await this.registryEdit(() => {
      if (modelExists(this.db, model)) throw new Error(`model "${model}" already exists`);
      this.appendRegistry({ t: 'model.created', model, description, tags });
    });
    return model;
  }

  /**
   * Copies the file into registry/models/ (hashing it on the way) and registers it as the model's next
   * version, creating the model if needed. The format and, where the file says, its features are detected.
   */
  async registerVersion(model: string, opts: RegisterVersionOptions): Promise<RegisteredVersion> {
    const name = validModelName(model);
    const description = optionalString(opts?.description, 'description');
    const tags = validTags(opts?.tags);
    const featureNames = validStrings(opts?.featureNames, 'featureNames');
    if (typeof opts?.sourceFile !== 'string' || opts.sourceFile === '') throw new Error('registering a version needs a source file');
    const stat = fs.statSync(opts.sourceFile, { throwIfNoEntry: false });
    if (!stat) throw new Error(`no such file: ${opts.sourceFile}`);
    if (!stat.isFile()) throw new Error(`not a regular file: ${opts.sourceFile}`);
    const source = describeSource(this.layout, opts.sourceFile);
    if (opts.sourceRun !== undefined && runSummaries(this.db, this.liveness(), [opts.sourceRun]).length === 0) throw new Error(`no run "${opts.sourceRun}"`);
    const sourceRun = opts.sourceRun ?? source.run;
    const metrics = sourceRun === undefined ? undefined : metricsSnapshot(this.db, sourceRun);
    const info = await inspectModelFile(opts.sourceFile);
    sweepTmp(this.layout);
    const staged = await stageCopy(this.layout, opts.sourceFile);
    try {
      const registered = await this.registryEdit(() => {
        const placed = placeVersion(this.db, this.layout, name, staged);
        try {
          const drafts: RegistryDraft[] = modelExists(this.db, name) ? [] : [{ t: 'model.created', model: name }];
          drafts.push({
            t: 'version.registered', model: name, version: placed.version, path: placed.path, source_run: sourceRun, source_file: source.sourceFile,
            format: info.format, size: staged.size, sha256: staged.sha256, metrics, feature_names: featureNames ?? info.featureNames,
            n_features: featureNames?.length ?? info.nFeatures, description, tags,
          });
          return this.appendRegistry(...drafts);
        } catch (err) {
          removeDir(placed.dir);
          throw err;
        }
      });
      const version = versionOfEvent(this.db, name, registered.id);
      if (version === undefined) throw new Error(`version of "${name}" registered but not in the index: see the problems`);
      return { model: name, version };
    } finally {
      removeDir(staged.dir); // left only when the registration failed
    }
  }

  /**
   * Moves a version to a stage. Promoting to production archives the model's production version:
   * `archived` says which, so the UI can tell the user.
   */
  async setStage(model: string, version: number, stage: ModelStage, opts: { gate?: GateRecord } = {}): Promise<StageChange> {
    const name = validModelName(model);
    const v = validVersion(version);
    const to = validStage(stage);
    const gate = opts.gate === undefined ? undefined : gateOf(opts.gate);
    if (gate?.outcome === 'blocked') throw new Error('a blocked promotion does not change the stage: use recordBlockedPromotion');
    const event = await this.registryEdit(() => {
      const from = this.requireVersion(name, v).stage;
      return from === to ? undefined : this.appendRegistry({ t: 'version.stage', model: name, version: v, from, to, ...(gate ? { gate } : {}) });
    });
    return { archived: event ? archivedByEvent(this.db, name, event.id) : [] };
  }

  /** A promotion the gate blocked: recorded in the version's stage history, the stage unchanged. */
  async recordBlockedPromotion(model: string, version: number, stage: ModelStage, gate: GateRecord): Promise<void> {
    const name = validModelName(model);
    const v = validVersion(version);
    const to = validStage(stage);
    const checked = gateOf(gate);
    if (checked.outcome !== 'blocked') throw new Error(`recordBlockedPromotion takes a blocked gate, not "${checked.outcome}"`);
    return this.registryEdit(() => {
      this.requireVersion(name, v);
      this.appendRegistry({ t: 'version.gate', model: name, version: v, to, gate: checked });
    });
  }

  /**
   * Pins a model's evaluation data (the CSV, by path and sha256, and its label column), or unpins it with
   * `null`. Each change is a journal record (audited in the model's history).
   */
  async setEvaluationData(model: string, data: { file: string; target?: string } | null): Promise<void> {
    const name = validModelName(model);
    let ref: ReturnType<typeof evaluationDataOf> | null = null;
    if (data !== null) {
      const stat = fs.statSync(data.file, { throwIfNoEntry: false });
      if (!stat?.isFile()) throw new Error(`no data file ${data.file}`);
      ref = evaluationDataOf({ path: evaluationDataPath(this.layout, data.file), sha256: await sha256Of(data.file), size: stat.size, ...(data.target ? { target: data.target } : {}) });
    }
    await this.registryEdit(() => {
      this.requireModel(name);
      this.appendRegistry({ t: 'model.evaluation_data', model: name, data: ref });
    });
  }

  /** Sets (or, with null, clears) a binary classifier version's decision threshold, used when it is served. */
  async setThreshold(model: string, version: number, threshold: number | null): Promise<void> {
    const name = validModelName(model);
    const v = validVersion(version);
    if (threshold !== null && (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))) throw new Error(`a threshold is a probability between 0 and 1, not ${threshold}`);
    return this.registryEdit(() => {
      this.requireVersion(name, v);
      this.appendRegistry({ t: 'version.threshold', model: name, version: v, threshold });
    });
  }

  /** Records a version's input signature (columns, types, nullability, categories seen) and where it came from. */
  async setSignature(model: string, version: number, columns: SignatureColumn[], source: string): Promise<void> {
    const name = validModelName(model);
    const v = validVersion(version);
    const checked = signatureOf(columns);
    return this.registryEdit(() => {
      this.requireVersion(name, v);
      this.appendRegistry({ t: 'version.signature', model: name, version: v, columns: checked, source: String(source).slice(0, 200) });
    });
  }

  /** Points an alias at a version; the version that held it loses it in the same record. */
  async setAlias(model: string, alias: string, version: number): Promise<AliasChange> {
    const name = validModelName(model);
    const a = validAlias(alias);
    const v = validVersion(version);
    const previous = await this.registryEdit(() => {
      this.requireVersion(name, v);
      const holder = versionByAlias(this.db, name, a)?.version;
      if (holder !== v) this.appendRegistry({ t: 'alias.set', model: name, alias: a, version: v });
      return holder === v ? undefined : holder;
    });
    return previous === undefined ? {} : { previous };
  }

  removeAlias(model: string, alias: string): Promise<void> {
    const name = validModelName(model);
    return this.registryEdit(() => {
      if (!versionByAlias(this.db, name, alias) || alias.toLowerCase() === 'latest') throw new Error(`model "${name}" has no alias "${alias}"`);
      this.appendRegistry({ t: 'alias.removed', model: name, alias });
    });
  }

  describeModel(model: string, description: string): Promise<void> {
    const name = validModelName(model);
    const text = optionalString(description, 'description') ?? '';
    return this.registryEdit(() => {
      this.requireModel(name);
      this.appendRegistry({ t: 'model.described', model: name, description: text });
    });
  }

  setModelTags(model: string, tags: string[]): Promise<void> {
    const name = validModelName(model);
    const list = validTags(tags) ?? [];
    return this.registryEdit(() => {
      this.requireModel(name);
      this.appendRegistry({ t: 'model.tags', model: name, tags: list });
    });
  }

  describeVersion(model: string, version: number, description: string): Promise<void> {
    const name = validModelName(model);
    const v = validVersion(version);
    const text = optionalString(description, 'description') ?? '';
    return this.registryEdit(() => {
      this.requireVersion(name, v);
      this.appendRegistry({ t: 'version.described', model: name, version: v, description: text });
    });
  }

  setVersionTags(model: string, version: number, tags: string[]): Promise<void> {
    const name = validModelName(model);
    const v = validVersion(version);
    const list = validTags(tags) ?? [];
    return this.registryEdit(() => {
      this.requireVersion(name, v);
      this.appendRegistry({ t: 'version.tags', model: name, version: v, tags: list });
    });
  }

  /**
   * Deletes a version (the UI confirms first): journaled, then its copied file is removed. Its number is
   * not given again; its aliases go with it.
   */
  async deleteVersion(model: string, version: number): Promise<void> {
    const name = validModelName(model);
    const v = validVersion(version);
    const trash = await this.registryEdit(() => {
      const path = this.requireVersion(name, v).path;
      this.appendRegistry({ t: 'version.deleted', model: name, version: v });
      return moveToTrash(this.layout, path.slice(0, path.lastIndexOf('/')));
    });
    removeDir(trash);
  }

  /** Deletes a model, its versions and their files (the UI confirms first). The name can be used again, from version 1. */
  async deleteModel(model: string): Promise<void> {
    const name = validModelName(model);
    const trash = await this.registryEdit(() => {
      this.requireModel(name);
      this.appendRegistry({ t: 'model.deleted', model: name });
      return moveToTrash(this.layout, `${REGISTRY_MODELS_DIR}/${modelDirName(name)}`);
    });
    removeDir(trash);
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

  /** Writes the final status of a run whose process is gone (see appendRunEnd). */
  endRun(run: string, status: 'cancelled' | 'failed', error?: string): Promise<void> {
    return this.editRun(run, () => appendRunEnd(this.layout, run, status, error));
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
      if (!this.dirty || this.indexIsNewer || !fs.existsSync(this.layout.root)) return;
      writeFileAtomic(this.layout.indexFile, this.db.export());
      this.dirty = false;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      await this.saveNow();
    } finally {
      this.db.close();
    }
  }

  // Internals.

  private liveness(): LivenessOptions {
    return { staleAfterMs: this.opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS, now: Date.now() };
  }

  private async refreshNow(): Promise<void> {
    this.probe.prime(this.db);
    const stale = staleness(this.db, this.layout);
    if (stale) return this.rebuildNow(stale);
    this.changed(await ingestStore(this.context(this.db)));
  }

  /** Ingests everything into a fresh index, then swaps it in (queries keep the old one meanwhile). */
  private async rebuildNow(reason: string): Promise<void> {
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
    this.unreported = merge(this.unreported, { ...result, rebuilt: reason });
  }

  private context(db: Database) {
    return { db, layout: this.layout, series: new SeriesWriter(this.layout), chunkBytes: this.opts.chunkBytes };
  }

  private changed(result: IngestResult): void {
    if (!hasAny(result)) return;
    this.dirty = true;
    this.scheduleSave();
    this.unreported = merge(this.unreported, result);
  }

  private takeUnreported(): RefreshResult {
    const result = this.unreported;
    this.unreported = noChanges();
    return result;
  }

  /** A registry change: decided under the registry lock on the journal as it is now, then ingested. */
  private registryEdit<T>(decide: () => T): Promise<T> {
    return this.serial(async () => {
      const result = await withRegistryLock(this.layout, async () => {
        await this.ingestRegistryNow();
        return decide();
      });
      await this.refreshNow();
      return result;
    });
  }

  /** Reads on in the registry journal only (fast, under the lock); a full pass if it cannot be read on. */
  private async ingestRegistryNow(): Promise<void> {
    const offset = Number(one(this.db, 'SELECT offset FROM journal_offsets WHERE path = ?', [REGISTRY_JOURNAL])?.offset ?? 0);
    const size = journalSize(this.layout, REGISTRY_JOURNAL);
    if ((size ?? 0) < offset) {
      await this.refreshNow();
      return;
    }
    const problems: IngestProblem[] = [];
    const models = await ingestRegistry({ db: this.db, layout: this.layout, chunkBytes: this.opts.chunkBytes, problems });
    this.changed({ runs: [], experiments: [], models, problems });
  }

  private appendRegistry(...drafts: RegistryDraft[]) {
    const written = appendRegistryEvents(this.layout, drafts);
    return written[written.length - 1];
  }

  private requireModel(model: string): void {
    if (!modelExists(this.db, model)) throw new Error(`no model "${model}"`);
  }

  private requireVersion(model: string, version: number): ModelVersionSummary {
    const found = versionSummary(this.db, model, version);
    if (!found) throw new Error(modelExists(this.db, model) ? `model "${model}" has no version ${version}` : `no model "${model}"`);
    return found;
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
    const next = this.queue.then(fn).catch((err: unknown) => {
      this.probe.invalidate();
      throw err;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function noChanges(): RefreshResult {
  return { runs: [], experiments: [], models: [], problems: [] };
}

function hasAny(r: RefreshResult): boolean {
  return r.runs.length > 0 || r.experiments.length > 0 || r.models.length > 0 || r.problems.length > 0 || r.rebuilt !== undefined;
}

/** Two passes' results as one (the later rebuild reason wins). */
function merge(a: RefreshResult, b: RefreshResult): RefreshResult {
  const union = (x: string[], y: string[]) => (y.length === 0 ? x : [...new Set([...x, ...y])]);
  const rebuilt = b.rebuilt ?? a.rebuilt;
  return { runs: union(a.runs, b.runs), experiments: union(a.experiments, b.experiments), models: union(a.models, b.models), problems: [...a.problems, ...b.problems], ...(rebuilt ? { rebuilt } : {}) };
}

function emptyIndex(SQL: SqlJsStatic): Database {
  const db = new SQL.Database();
  migrate(db);
  return db;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`${what} must be a string`);
  return value;
}

function nonEmpty(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('a name cannot be empty');
  return trimmed;
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(file).on('error', reject).on('data', (b) => h.update(b)).on('end', () => resolve(h.digest('hex')));
  });
}
