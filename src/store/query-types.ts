import type { ExperimentStatus, LogLevel, RunStatus } from './records';

/** Typed results of the store's queries: what the tree views and panels receive. */

export interface ExperimentSummary {
  id: string;
  name: string;
  description?: string;
  status: ExperimentStatus;
  owner?: string;
  project?: string;
  folder?: string;
  tags: string[];
  created?: number;               // epoch seconds
  updated?: number;
  runCount: number;
  runningCount: number;
}

export interface ListExperimentsOptions {
  includeArchived?: boolean;
}

export type RunSortKey = 'created' | 'duration' | 'name' | { metric: string; agg: 'last' | 'min' | 'max' };

export interface ListRunsOptions {
  experiment?: string;
  status?: RunStatus[];
  tag?: string;
  /** Case-insensitive substring of name, id, notes, experiment name or a tag. */
  text?: string;
  /** Absolute path of the training script (run.json's script.path). */
  script?: string;
  /** A run query (MLflow's search syntax plus OR, NOT and parentheses; src/store/query). Throws QueryError. */
  query?: string;
  sort?: { by: RunSortKey; dir?: 'asc' | 'desc' };
  offset?: number;
  limit?: number;
}

export interface RunSummary {
  id: string;
  name: string;
  experiment: string;
  experimentName: string;
  status: RunStatus;              // derived: a dead "running" run shows "crashed"
  created: number;
  ended?: number;
  duration?: number;              // seconds; for a live run, so far
  tags: string[];
  notes?: string;
  /** The sort metric's value when sorting by a metric (null: the run lacks it). */
  sortValue?: number | null;
  /** Set when the run holds hyperparameter tuning sessions. */
  tuning?: true;
  /** Set when the run executed a Jupyter notebook (its script is an .ipynb). */
  notebook?: true;
  /** Set when the run is a scheduler job (its latest state). */
  job?: SchedulerJob;
  /** The run this one is nested in (run.json's `parent`: an MLflow nested run). */
  parent?: string;
}

/** Another run, as a link: a nested run's parent, or the runs nested in one. */
export interface RunLink {
  id: string;
  name: string;
  status: RunStatus;
}

/** A run's job in a scheduler, as its latest `scheduler` record says. */
export interface SchedulerJob {
  scheduler: 'slurm';
  id: string;                     // "1234", "1234_2" for an array task
  state: string;                  // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, …
  reason?: string;
  node?: string;
  output?: string;                // the job's stdout/stderr file
}

export interface RunList {
  runs: RunSummary[];
  total: number;
}

export interface MetricSummary {
  key: string;
  last: number;                   // NaN when the last value was NaN
  min?: number;                   // over finite values
  max?: number;
  count: number;
  lastStep: number;
  lastTime: number;
}

export interface RunFile {
  id: string;
  path: string;
  size?: number;
  sha256?: string;
  description?: string;
  tags: string[];
  meta?: Record<string, unknown>;
  created?: number;
  updated?: number;
}

export interface LogEntry {
  /** Position in the run's log, from 1, in journal order. */
  seq: number;
  ts?: number;
  level: LogLevel;
  msg: string;
  meta?: Record<string, unknown>;
  stream?: 'stdout' | 'stderr';
}

export interface RunDetail extends RunSummary {
  script?: { path: string; sha256?: string };
  argv: string[];
  cwd?: string;
  git?: { commit: string; branch?: string; dirty: boolean; diff?: string };
  python?: { executable: string; version: string; packages?: Record<string, string> };
  host?: string;                  // where the process ran (a scheduled run's `process` record, else run.json)
  pid?: number;
  /** When its process started, for a run created ahead of it (a scheduled job); else undefined. */
  started?: number;
  metadata?: Record<string, unknown>;
  error?: string;
  traceback?: string;
  exitCode?: number;
  lastActivity?: number;
  params: Record<string, unknown>;
  metrics: MetricSummary[];
  files: RunFile[];
  /** The latest logs, oldest first. */
  logs: LogEntry[];
  /** The run it is nested in, when that run is shown. */
  parentRun?: RunLink;
  /** The runs nested in it, oldest first. */
  children: RunLink[];
}

export interface LogQuery {
  /** Minimum severity. */
  level?: LogLevel;
  search?: string;
  offset?: number;
  limit?: number;
}

export interface LogPage {
  logs: LogEntry[];
  total: number;
}

export interface ParamComparison {
  key: string;
  values: unknown[];              // per run, undefined where the run lacks the param
  differs: boolean;
}

export interface MetricComparison {
  key: string;
  values: (MetricSummary | undefined)[];
}

export interface RunComparison {
  runs: RunSummary[];             // in the requested order; unknown or deleted ids are left out
  params: ParamComparison[];
  metrics: MetricComparison[];
}

export type XAxis = 'step' | 'time' | 'relative';

export interface SeriesOptions {
  /** Buckets (about a chart's pixel width); each keeps up to 4 points. */
  width?: number;
  xAxis?: XAxis;
  /** Zoom: only points with x in [from, to], in xAxis units. */
  range?: readonly [number, number];
}

export interface SeriesView {
  run: string;
  key: string;
  xAxis: XAxis;
  total: number;                  // points in the series
  x: number[];
  y: number[];                    // NaN and ±Infinity kept
  step: number[];
  time: number[];
}

export interface RunActivity {
  runs: number;
  models: number;
  byStatus: Record<RunStatus, number>;
  /** Runs started per UTC day (YYYY-MM-DD), oldest first. */
  perDay: { day: string; counts: Record<RunStatus, number> }[];
}
