/**
 * JSON-RPC 2.0 between the extension and the Python runner (`python -m mlwb run ...`), over a local
 * pipe (Unix socket / Windows named pipe, Content-Length framing). Mirrored by
 * python-runner/mlwb/_protocol.py. Bump PROTOCOL_VERSION on any incompatible change.
 *
 * Bulk data (metric points, logs) never travels here: it goes through the run's journal, and the
 * runner only rings `run/journalFlushed` so the extension ingests at once.
 */
import type { ExperimentRef, JsonNumber, LogLevel, RunStatus } from '../store/records';

export const PROTOCOL_VERSION = 1;

/** Environment variable carrying the pipe name to the runner; absent when run from a plain terminal. */
export const PIPE_ENV = 'MLWB_RPC_PIPE';
/** Environment variable carrying the session's secret, which the runner's handshake must present. */
export const SECRET_ENV = 'MLWB_RPC_SECRET';

// Runner -> extension: requests.

export interface HandshakeParams {
  protocol: number;
  runner: string;                      // mlwb package version
  python: { executable: string; version: string };
  pid: number;
  /** e.g. "cancel", "systemInfo", "sklearn.autolog", "torch", "optuna", "psutil" */
  capabilities: string[];
  /** The session's secret from `MLWB_RPC_SECRET`: the first process to reach the pipe must prove it was started by us. */
  secret?: string;
}
export interface HandshakeResult {
  protocol: number;
  accepted: boolean;
  /** Why not accepted (the runner then carries on without the extension, journal only). */
  reason?: string;
}

// Runner -> extension: notifications.

export interface RunStartedParams {
  runId: string;
  runDir: string;
  storeDir: string;
  script: string;
  argv: string[];
  pid: number;
}
export interface ProgressParams {
  runId: string;
  current: number;
  total?: number;
  message?: string;
}
export interface JournalFlushedParams {
  runId: string;
  /** Bytes of events.jsonl written so far. */
  offset: number;
}
export interface RunLogParams {
  runId: string;
  level: LogLevel;
  message: string;
}
/** The script's run was claimed by an `Experiment` it started: it now belongs there. */
export interface RunClaimedParams {
  runId: string;
  experiment: ExperimentRef;
}
/** Feature events (the ScriptEvent checklist): tuning trials, explanations, data profiles. */
export type FeatureEvent =
  /**
   * A tuning trial finished (its `tuning.trial` record is already in the journal, flushed). `session` is the
   * tuning session's id (store: getTuningSession); `value` is the single objective's value, or one per
   * objective (a pruned trial: its last intermediate value, as optuna); `intermediate`: step -> value.
   */
  | {
      kind: 'trial'; number: number; params: Record<string, unknown>; value: JsonNumber | JsonNumber[] | null; state: 'complete' | 'pruned' | 'fail';
      durationMs?: number; session?: string; studyName?: string; intermediate?: Record<string, JsonNumber>;
    }
  /** A tuning session ended (`status`); multi-objective: `bestTrials` is the Pareto front, `bestParams` {} and `bestValue` []. */
  | {
      kind: 'tuningComplete'; bestParams: Record<string, unknown>; bestValue: JsonNumber | JsonNumber[]; totalTrials: number; durationMs?: number;
      session?: string; studyName?: string; status?: 'completed' | 'stopped' | 'failed'; bestTrials?: number[];
    }
  | { kind: 'explainProgress'; stage: string; current: number; total: number }
  | { kind: 'explainResult'; data: Record<string, unknown> }
  | { kind: 'explainComplete'; durationMs: number }
  | { kind: 'dataProfile'; data: Record<string, unknown> }
  /** `python -m mlwb predict` (runId = its --job-id): rows done so far, bytes of the input read. */
  | { kind: 'predictProgress'; rows: number; bytesRead: number; bytesTotal: number; fraction: number; output: string }
  /** The predict job ended; `output` is null unless `status` is done (the partial file is removed). */
  | {
      kind: 'predictComplete'; status: 'done' | 'cancelled' | 'error'; rows: number; output: string | null; durationMs: number;
      peakRssBytes: number | null; exitCode: number; error?: string;
    };
export interface FeatureEventParams {
  runId: string;
  event: FeatureEvent;
}
/** `python -m mlwb serve` is listening (the same object as its stdout `ready` line). */
export interface ServeReadyParams {
  event: 'ready';
  url: string;
  host: string;
  port: number;
  pid: number;
  name: string;
  version: string | null;
  model: string;
  format: string;
  modelClass: string;
  nFeatures: number | null;
  sha256: string;
  tokenRequired: boolean;
  maxBatch?: number;
  maxWaitMs?: number;
  maxBodyBytes?: number;
}
/** The server stopped (`reason`: signal, cancel, extension-gone, fatal); `error` when it failed. */
export interface ServeStoppedParams {
  reason: string;
  exitCode: number;
  url: string;
  requests: number;
  error?: string;
}
export interface RunFinishedParams {
  runId: string;
  status: Exclude<RunStatus, 'running' | 'crashed'>;
  exitCode: number;
  durationMs: number;
  error?: string;
  traceback?: string;
}

// Extension -> runner: requests.

export interface CancelParams {
  /** Why, for the log. The runner interrupts the script (as Ctrl+C would) and answers at once. */
  reason?: string;
}
export interface CancelResult {
  accepted: boolean;
}
export interface SystemInfo {
  python: { executable: string; version: string; implementation: string };
  platform: string;
  host: string;
  cpuCount: number;
  memoryBytes?: number;
  packages: Record<string, string>;
  /** From torch when importable: what the interpreter sees as CUDA. */
  cuda?: { available: boolean; devices: { index: number; name: string; memoryBytes?: number }[] };
}

/** Method names and their parameter/result types: both sides derive from this map. */
export interface RunnerRequests {
  'runner/handshake': [HandshakeParams, HandshakeResult];
  /**
   * A request (answered with null), not a notification: vscode-jsonrpc drops messages still queued
   * when the socket closes, so the runner closes the pipe only after this is answered (or 2 s).
   */
  'run/finished': [RunFinishedParams, null];
  /** A request for the same reason as run/finished: the pipe closes only after it is answered. */
  'serve/stopped': [ServeStoppedParams, null];
}
export interface RunnerNotifications {
  'run/started': RunStartedParams;
  'run/progress': ProgressParams;
  'run/journalFlushed': JournalFlushedParams;
  'run/log': RunLogParams;
  'run/claimed': RunClaimedParams;
  'run/event': FeatureEventParams;
  'serve/ready': ServeReadyParams;
}
export interface ExtensionRequests {
  'run/cancel': [CancelParams, CancelResult];
  'system/info': [Record<string, never>, SystemInfo];
}
