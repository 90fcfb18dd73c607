import type { TuningDirection, TuningDistribution, TuningTrialState } from '../store/records';

/**
 * The one typed model of a hyperparameter study, whatever it came from: a tuning session of the store
 * (mlwb.tune, `python -m mlwb tune`, an autocaptured optuna study) or a study read from an optuna
 * SQLite file or JournalFileStorage log (./readers). No `vscode` import: the tuning panel's host feeds it
 * to the webview as is.
 */
export type { TuningDirection, TuningDistribution, TuningTrialState };

export type TuningStatus = 'running' | 'completed' | 'stopped' | 'failed';

export interface TuningTrial {
  number: number;
  state: TuningTrialState;
  /** External values: a categorical parameter holds the choice itself. */
  params: Record<string, unknown>;
  distributions: Record<string, TuningDistribution>;
  /** One per objective (NaN/±Infinity as numbers); null unless the trial completed. */
  values: number[] | null;
  /** Reported intermediate values, by ascending step. */
  intermediate: { step: number; value: number }[];
  /** Epoch seconds. */
  started?: number;
  ended?: number;
  durationMs?: number;
  /** Optuna's own naive local timestamps ("2024-05-01T12:00:00.123456"), for studies read from files. */
  datetimeStart?: string;
  datetimeComplete?: string;
  /** The run of the trial: the session's run, or a run of its own. */
  run?: string;
  userAttrs?: Record<string, unknown>;
  systemAttrs?: Record<string, unknown>;
  error?: string;
}

export interface ParamImportance {
  /** 'optuna-fanova' (computed by optuna in the tuning process) or 'mdi-forest' (ours, see analysis.ts). */
  method: string;
  objective: number;
  /** Parameter -> importance, summing to 1 (0 for all when nothing can be told), most important first. */
  values: Record<string, number>;
}

export interface TuningStudy {
  /** Session id in the store; `<file>#<study id>` for a study read from a file. */
  id: string;
  studyName: string;
  directions: TuningDirection[];
  metricNames?: string[];
  sampler?: string;
  requestedSampler?: string;
  pruner?: string;
  backend?: 'optuna' | 'builtin';
  source: 'mlwb' | 'optuna' | 'optuna-sqlite' | 'optuna-journal';
  /** The declared space, else the union of the trials' distributions. */
  space: Record<string, TuningDistribution>;
  config?: Record<string, unknown>;
  status: TuningStatus;
  /** The run holding the session (store sessions only). */
  run?: string;
  created?: number;
  ended?: number;
  durationMs?: number;
  error?: string;
  /** Every trial, by number. */
  trials: TuningTrial[];
  /** Single objective: the best trial (empty before one completes); multi-objective: the Pareto front. */
  bestTrials: number[];
  /** Single objective: per trial (same order as `trials`), the best complete value up to it (null before any). */
  bestSoFar?: (number | null)[];
  /** Importance recorded by the tuning process (optuna's), per objective. */
  recordedImportance?: { method: string; values: Record<string, number>[] };
  userAttrs?: Record<string, unknown>;
  systemAttrs?: Record<string, unknown>;
}

/** One line of a list of sessions or of the studies in a file. */
export interface TuningStudySummary {
  id: string;
  studyName: string;
  directions: TuningDirection[];
  metricNames?: string[];
  sampler?: string;
  source: TuningStudy['source'];
  status: TuningStatus;
  run?: string;
  runName?: string;
  created?: number;
  ended?: number;
  counts: Record<TuningTrialState, number>;
  nTrials: number;
  /** Single objective: the best trial; multi-objective: the Pareto front. */
  best: { number: number; values: number[]; params: Record<string, unknown> }[];
}
