/**
 * The journal contract: every record the Python SDK (python-runner/mlwb/_records.py mirrors this
 * file) and the extension append under `.mlwb/`. Journals are the truth; the index is derived.
 *
 * Every journal line is one JSON object with `v` (schema version) and `t` (record type).
 * Readers skip unknown `t` (forward compatible) and report lines whose `v` is newer than theirs.
 */
export const JOURNAL_VERSION = 1;

/** Non-finite floats are not JSON: they travel as these strings. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** `queued`: submitted to a scheduler (Slurm), not started yet; never derived crashed (it has no process). */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'crashed';

/** `.mlwb/runs/<id>/run.json`: written once when the run starts, never modified. */
export interface RunManifest {
  v: number;
  id: string;                     // time-sortable: 20261121-205745-3fa9c2
  name: string;                   // display name, e.g. "train-3fa9c2"
  experiment: ExperimentRef;
  created: number;                // epoch seconds
  script?: { path: string; sha256?: string };
  argv: string[];
  cwd: string;
  host: string;
  pid: number;
  python?: { executable: string; version: string; packages?: Record<string, string> };
  git?: { commit: string; branch?: string; dirty: boolean; diff?: string };
  tags?: string[];
  metadata?: Record<string, unknown>;
  /** The run this one is nested in (an MLflow nested run, a TensorBoard hparams trial). */
  parent?: string;
}

/** Experiments are identified by their full name ("owner/project/path/name" or a plain name). */
export interface ExperimentRef {
  id: string;                     // the normalised full name; the same name is the same experiment
  name: string;                   // last path segment
  owner?: string;
  project?: string;
  folder?: string;
  readme?: string;
  tags?: string[];
  metadata?: Record<string, unknown>;
}

/** `.mlwb/runs/<id>/events.jsonl`, appended by the run itself. */
export type RunEvent =
  | { v: number; t: 'status'; ts: number; status: RunStatus; error?: string; traceback?: string; exit_code?: number }
  | { v: number; t: 'heartbeat'; ts: number }
  | { v: number; t: 'params'; ts: number; values: Record<string, unknown> }  // flattened dot keys
  /** Columnar batch: per metric key, parallel arrays. Keys use "/" for prefixes ("train/loss"). */
  | { v: number; t: 'metrics'; ts: number; series: Record<string, { step: number[]; value: JsonNumber[]; time: number[] }> }
  | { v: number; t: 'log'; ts: number; level: LogLevel; msg: string; meta?: Record<string, unknown>; stream?: 'stdout' | 'stderr' }
  | { v: number; t: 'file'; ts: number; op: 'save' | 'update' | 'delete'; id: string; path: string; size?: number; sha256?: string; description?: string; tags?: string[]; meta?: Record<string, unknown> }
  /**
   * Tags the script set on its run while it runs (MLflow's key/value tags; W&B's and TensorBoard's labels have an
   * empty value). A later value of a key replaces the earlier one, null removes it. Shown as the tag `key` or `key=value`.
   */
  | { v: number; t: 'tags'; ts: number; tags: Record<string, string | null> }
  /**
   * The run was started by the runner for an unmodified script, then claimed by the first
   * `Experiment` the script started: from here on it belongs to that experiment (run.json stays as written).
   */
  | { v: number; t: 'claimed'; ts: number; experiment: ExperimentRef; name?: string }
  | SchedulerRecord
  | ProcessRecord
  | TuningSessionRecord
  | TuningTrialRecord
  | TuningCompleteRecord;

/**
 * The run's job changed state in a scheduler (appended by the extension at submission and while it follows
 * the job, and by the runner when the job starts). `state` is the scheduler's own name (Slurm: PENDING,
 * RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED).
 */
export interface SchedulerRecord {
  v: number; t: 'scheduler'; ts: number;
  scheduler: 'slurm';
  job_id: string;                               // as squeue prints it: "1234", "1234_2" for array task 2
  state: string;
  reason?: string;                              // why it is pending, when the scheduler says
  node?: string;
  output?: string;                              // absolute path of the job's stdout/stderr file
}

/**
 * Where a run created ahead of its process (a scheduled job) actually runs, written by the runner when it
 * continues the run. The latest one overrides run.json's host and pid (crash detection) and starts the clock.
 */
export interface ProcessRecord {
  v: number; t: 'process'; ts: number;
  host: string;
  pid: number;
  python?: RunManifest['python'];
  git?: RunManifest['git'];
  script?: RunManifest['script'];
}

/**
 * Hyperparameter tuning (`mlwb.tune`, `python -m mlwb tune`, or an optuna study autocaptured by the runner):
 * a session lives in a run's journal; its trials follow as they finish (a trial may be written again:
 * the last record of a number wins, e.g. `running` then `complete`).
 */
export type TuningDirection = 'minimize' | 'maximize';
export type TuningTrialState = 'running' | 'complete' | 'pruned' | 'fail' | 'waiting'; // 'waiting': enqueued (optuna files only)

/** A search-space dimension (the JSON spec's and the SDK's `space=` format; optuna distributions map onto it). */
export type TuningDistribution =
  | { type: 'float'; low: number; high: number; log?: boolean; step?: number }
  | { type: 'int'; low: number; high: number; log?: boolean; step?: number }
  | { type: 'categorical'; choices: (string | number | boolean | null)[] };

export interface TuningSessionRecord {
  v: number; t: 'tuning.session'; ts: number;
  id: string;                                   // unique in the store
  study_name: string;
  directions: TuningDirection[];                // one per objective
  metric_names?: string[];                      // names of the objectives, when known
  sampler: string;                              // 'tpe', 'random', 'grid', 'cmaes', or optuna's class name (autocapture)
  requested_sampler?: string;                   // what was asked for, when another had to be used (no optuna)
  pruner?: string;
  backend?: 'optuna' | 'builtin';
  space?: Record<string, TuningDistribution>;
  source: 'mlwb' | 'optuna';                    // the SDK/CLI, or an optuna study a script created
  /** The rest of the options: n_trials, timeout, n_jobs, cv, scoring, seed, the spec file. */
  config?: Record<string, unknown>;
}

export interface TuningTrialRecord {
  v: number; t: 'tuning.trial'; ts: number;
  session: string;
  number: number;                               // 0, 1, … within the session
  state: TuningTrialState;
  params: Record<string, unknown>;              // external values (categorical: the choice itself)
  distributions?: Record<string, TuningDistribution>;
  values?: JsonNumber[] | null;                 // one per objective; null/absent unless complete
  intermediate?: Record<string, JsonNumber>;    // step -> value
  started?: number;                             // epoch seconds
  ended?: number;
  duration_ms?: number;
  run?: string;                                 // a run of its own, when the trial has one
  user_attrs?: Record<string, unknown>;
  error?: string;                               // why a trial failed
}

export interface TuningCompleteRecord {
  v: number; t: 'tuning.complete'; ts: number;
  session: string;
  status: 'completed' | 'stopped' | 'failed';
  best_trials: number[];                        // the best trial, or the Pareto front (multi-objective)
  n_trials?: number;
  duration_ms?: number;
  /** Parameter importance computed on the Python side (optuna's evaluator when installed), per objective. */
  importance?: { method: string; values: Record<string, number>[] };
  error?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** `.mlwb/experiments.jsonl`: experiment changes made from the UI (runs imply their experiment). */
export type ExperimentEvent =
  | { v: number; t: 'experiment.created'; ts: number; id: string; name: string; description?: string }
  | { v: number; t: 'experiment.renamed'; ts: number; id: string; name: string }
  | { v: number; t: 'experiment.described'; ts: number; id: string; description: string }
  | { v: number; t: 'experiment.status'; ts: number; id: string; status: ExperimentStatus }
  | { v: number; t: 'experiment.deleted'; ts: number; id: string };

export type ExperimentStatus = 'active' | 'completed' | 'archived';

/** `.mlwb/edits.jsonl`: changes made from the UI to runs (never written into a run's own journal). */
export type RunEdit =
  | { v: number; t: 'run.renamed'; ts: number; run: string; name: string }
  | { v: number; t: 'run.notes'; ts: number; run: string; notes: string }
  | { v: number; t: 'run.tags'; ts: number; run: string; tags: string[] }
  | { v: number; t: 'run.deleted'; ts: number; run: string };

/** Model registry stages (MLflow's, lower-cased). At most one version of a model is in production. */
export type ModelStage = 'none' | 'staging' | 'production' | 'archived';

/** Detected from the file's bytes and extension (no Python needed). */
export type ModelFormat = 'pickle' | 'joblib' | 'torch' | 'onnx' | 'xgboost-json' | 'xgboost-ubj' | 'safetensors' | 'unknown';

/** A metric of the source run at registration time (its summary in the index). */
export interface MetricSnapshotEntry {
  last: JsonNumber;
  min?: number;
  max?: number;
  count: number;
  step?: number;
}

/** A model's pinned evaluation data: the CSV the promotion gate evaluates on, by path and content hash. */
export interface EvaluationDataRef {
  /** Relative to the store's parent directory (the workspace) when inside it, '/'-separated; else absolute. */
  path: string;
  sha256: string;
  size?: number;
  /** The label column. */
  target?: string;
}

/** An input column of a model's signature (`python -m mlwb signature`, autolog/signature.json). */
export interface SignatureColumn {
  name: string;
  type: 'integer' | 'float' | 'boolean' | 'string' | 'category' | 'datetime' | string;
  nullable?: boolean;
  categories?: string[];
}

/**
 * What the promotion gate found: the challenger's main metric on the pinned data next to Production's,
 * signature compatibility, a serving smoke test; the outcome under the `mlwb.registry.gate` rule.
 */
export interface GateRecord {
  /** passed: no problem; overridden: problems in "warn" mode, promoted anyway; blocked: problems in "block" mode, not promoted. */
  outcome: 'passed' | 'overridden' | 'blocked';
  rule: { metric?: string; maxDrop: number; mode: 'block' | 'warn' };
  /** One line per failed check, in words. */
  problems: string[];
  metric?: string;
  higherIsBetter?: boolean;
  challenger?: number;
  production?: number;
  productionVersion?: number;
  /** How much worse the challenger is (positive: worse), in the metric's units. */
  drop?: number;
  /** The 95% bootstrap interval of challenger − production. */
  interval?: [number, number];
  data?: { path: string; sha256: string; rows?: number; target?: string };
  /** checked false: one of the two versions has no signature to compare. */
  signature?: { compatible: boolean; problems: string[]; checked?: boolean };
  smoke?: { requests: number; errors: number; p50_ms?: number; p95_ms?: number; error?: string };
  /** The comparison.json (or evaluation.json) the numbers come from, store-relative. */
  evidence?: string;
}

/**
 * `.mlwb/registry/events.jsonl`: every registry change, appended under `registry/.lock`.
 * Every record has a unique `id` (the index links what a record caused, e.g. versions it archived,
 * to it). Ingestion is deterministic whatever the interleaving of writers:
 * - a `version.registered` whose number is already taken (a writer that bypassed the lock) gets the
 *   next free number; later records address the version by the number the index gave it;
 * - a promotion to production archives every other production version of the model (journal order:
 *   the last promotion wins);
 * - `alias.set` moves the alias from its previous holder in the same record.
 * `model.deleted` forgets the model's versions: a model created again under that name starts at version 1.
 */
export type RegistryEvent =
  | { v: number; t: 'model.created'; ts: number; id: string; model: string; description?: string; tags?: string[] }
  | { v: number; t: 'model.described'; ts: number; id: string; model: string; description: string }
  | { v: number; t: 'model.tags'; ts: number; id: string; model: string; tags: string[] }
  | { v: number; t: 'model.deleted'; ts: number; id: string; model: string }
  | {
      v: number; t: 'version.registered'; ts: number; id: string; model: string; version: number;
      /** Store-relative, '/'-separated: registry/models/<model dir>/<version>/<file name>. */
      path: string;
      source_run?: string;
      /** Where the bytes were copied from: store-relative when inside the store, else absolute. */
      source_file: string;
      format: ModelFormat; size: number; sha256: string;
      metrics?: Record<string, MetricSnapshotEntry>;
      feature_names?: string[]; n_features?: number;
      description?: string; tags?: string[];
    }
  /** `from` is what the writer saw (informational); the index derives the actual one. */
  | { v: number; t: 'version.stage'; ts: number; id: string; model: string; version: number; from?: ModelStage; to: ModelStage; gate?: GateRecord }
  /** A promotion the gate blocked (no stage change): kept in the version's stage history. */
  | { v: number; t: 'version.gate'; ts: number; id: string; model: string; version: number; to: ModelStage; gate: GateRecord }
  /** Pins (path + sha256) or, with `data: null`, unpins the model's evaluation data. */
  | { v: number; t: 'model.evaluation_data'; ts: number; id: string; model: string; data: EvaluationDataRef | null }
  | { v: number; t: 'version.signature'; ts: number; id: string; model: string; version: number; columns: SignatureColumn[]; source: string }
  /** A binary classifier's decision threshold on P(positive), used by Serve (`--threshold`); null clears it. */
  | { v: number; t: 'version.threshold'; ts: number; id: string; model: string; version: number; threshold: number | null }
  | { v: number; t: 'version.described'; ts: number; id: string; model: string; version: number; description: string }
  | { v: number; t: 'version.tags'; ts: number; id: string; model: string; version: number; tags: string[] }
  | { v: number; t: 'version.deleted'; ts: number; id: string; model: string; version: number }
  | { v: number; t: 'alias.set'; ts: number; id: string; model: string; alias: string; version: number }
  | { v: number; t: 'alias.removed'; ts: number; id: string; model: string; alias: string };
