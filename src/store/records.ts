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

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'crashed';

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
   * The run was started by the runner for an unmodified script, then claimed by the first
   * `Experiment` the script started: from here on it belongs to that experiment (run.json stays as written).
   */
  | { v: number; t: 'claimed'; ts: number; experiment: ExperimentRef; name?: string };

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
