import type { Database } from 'sql.js';
import { RecordError } from './problems';
import type { JsonNumber, TuningCompleteRecord, TuningSessionRecord, TuningTrialRecord } from './records';
import { json, one, run } from './sql';

/**
 * tuning.session / tuning.trial / tuning.complete records of a run's journal -> tuning_sessions, tuning_trials.
 * A session id is random, except for a study shared by several worker processes through one Optuna storage
 * (`python -m mlwb tune --storage ... --worker`, e.g. a Slurm array): every worker writes the same session
 * record into its own run, then the trials it ran. That is ONE session, holding every worker's trials (optuna
 * numbers trials study-wide, so they never clash), owned by the worker that started it first (then the lowest
 * run id): whatever order the journals are read in, live or in a rebuild, the index says the same.
 */

const STATES = new Set(['running', 'complete', 'pruned', 'fail']);
const DIRECTIONS = new Set(['minimize', 'maximize']);
const ENDINGS = new Set(['completed', 'stopped', 'failed']);

export function applyTuningSession(db: Database, runId: string, e: TuningSessionRecord): void {
  if (typeof e.id !== 'string' || e.id === '') throw new RecordError('tuning.session without id');
  if (!Array.isArray(e.directions) || e.directions.length === 0 || !e.directions.every((d) => DIRECTIONS.has(d))) {
    throw new RecordError('tuning.session: directions must be a non-empty array of "minimize"/"maximize"');
  }
  const ts = typeof e.ts === 'number' ? e.ts : null;
  const seq = Number(one(db, 'SELECT COUNT(*) AS n FROM tuning_sessions WHERE run = ?', [runId])?.n ?? 0);
  const owner = one(db, 'SELECT run, created FROM tuning_sessions WHERE id = ?', [e.id]);
  if (owner !== undefined && owner.run !== runId) {
    // Another worker of a shared study: the session exists; it passes to this run if this one started it first.
    if (startedBefore(ts, runId, owner.created as number | null, String(owner.run))) {
      run(db, 'UPDATE tuning_sessions SET run = ?, seq = ?, created = ? WHERE id = ?', [runId, seq, ts, e.id]);
    }
    return;
  }
  run(
    db,
    `INSERT INTO tuning_sessions (id, run, seq, study_name, directions, metric_names, sampler, requested_sampler, pruner, backend, source, space, config, created)
     VALUES ($id, $run, $seq, $name, $dirs, $metrics, $sampler, $requested, $pruner, $backend, $source, $space, $config, $ts)
     ON CONFLICT (id) DO UPDATE SET study_name = excluded.study_name, directions = excluded.directions,
       metric_names = COALESCE(excluded.metric_names, metric_names), sampler = COALESCE(excluded.sampler, sampler),
       requested_sampler = COALESCE(excluded.requested_sampler, requested_sampler), pruner = COALESCE(excluded.pruner, pruner),
       backend = COALESCE(excluded.backend, backend), space = COALESCE(excluded.space, space), config = COALESCE(excluded.config, config)`,
    {
      $id: e.id, $run: runId, $seq: seq, $name: typeof e.study_name === 'string' && e.study_name ? e.study_name : e.id, $dirs: JSON.stringify(e.directions),
      $metrics: json(e.metric_names), $sampler: strOrNull(e.sampler), $requested: strOrNull(e.requested_sampler), $pruner: strOrNull(e.pruner),
      $backend: strOrNull(e.backend), $source: e.source === 'optuna' ? 'optuna' : 'mlwb', $space: json(e.space), $config: json(e.config),
      $ts: ts,
    },
  );
}

/** Whether a session record at `ts` in `run` comes before one at `otherTs` in `other` (no time: last). */
function startedBefore(ts: number | null, run: string, otherTs: number | null, other: string): boolean {
  const a = ts ?? Infinity;
  const b = otherTs ?? Infinity;
  return a < b || (a === b && run < other);
}

export function applyTuningTrial(db: Database, runId: string, e: TuningTrialRecord): void {
  requireSession(db, e.session, 'tuning.trial');
  if (!Number.isInteger(e.number) || e.number < 0) throw new RecordError('tuning.trial: number must be an integer >= 0');
  if (!STATES.has(e.state)) throw new RecordError(`tuning.trial: unknown state ${JSON.stringify(e.state)}`);
  if (!isObject(e.params)) throw new RecordError('tuning.trial without params');
  const values = e.values === undefined || e.values === null ? null : e.values;
  if (values !== null && (!Array.isArray(values) || !values.every(isJsonNumber))) throw new RecordError('tuning.trial: values must be an array of numbers');
  if (e.intermediate !== undefined && (!isObject(e.intermediate) || !Object.entries(e.intermediate).every(([k, v]) => Number.isFinite(Number(k)) && isJsonNumber(v)))) {
    throw new RecordError('tuning.trial: intermediate must map steps to numbers');
  }
  const first = values?.[0];
  run(
    db,
    `INSERT OR REPLACE INTO tuning_trials (session, number, run, state, params, distributions, "values", value, intermediate, started, ended, duration_ms, trial_run, user_attrs, error, updated)
     VALUES ($session, $number, $run, $state, $params, $dists, $values, $value, $inter, $started, $ended, $duration, $trialRun, $attrs, $error, $ts)`,
    {
      $session: e.session, $number: e.number, $run: runId, $state: e.state, $params: JSON.stringify(e.params), $dists: json(e.distributions),
      $values: values === null ? null : JSON.stringify(values), $value: typeof first === 'number' && Number.isFinite(first) ? first : null,
      $inter: json(e.intermediate), $started: numOrNull(e.started), $ended: numOrNull(e.ended), $duration: numOrNull(e.duration_ms),
      $trialRun: strOrNull(e.run), $attrs: json(e.user_attrs), $error: strOrNull(e.error), $ts: numOrNull(e.ts),
    },
  );
}

export function applyTuningComplete(db: Database, _runId: string, e: TuningCompleteRecord): void {
  requireSession(db, e.session, 'tuning.complete');
  if (!ENDINGS.has(e.status)) throw new RecordError(`tuning.complete: unknown status ${JSON.stringify(e.status)}`);
  if (!Array.isArray(e.best_trials) || !e.best_trials.every((n) => Number.isInteger(n))) throw new RecordError('tuning.complete: best_trials must be trial numbers');
  run(
    db,
    // Workers of a shared study each end it; journals are ingested in no particular order: the latest end wins.
    `UPDATE tuning_sessions SET status = $status, best_trials = $best, importance = COALESCE($importance, importance), error = $error,
       ended = $ts, duration_ms = $duration WHERE id = $id AND ($ts IS NULL OR ended IS NULL OR ended <= $ts)`,
    {
      $id: e.session, $status: e.status, $best: JSON.stringify(e.best_trials), $importance: json(e.importance), $error: strOrNull(e.error),
      $ts: numOrNull(e.ts), $duration: numOrNull(e.duration_ms),
    },
  );
}

/** Forgets what a run's journal said about tuning (the run is read again from byte 0). */
export function resetTuning(db: Database, runId: string): void {
  // A shared session passes to another run that wrote trials into it.
  run(
    db,
    `UPDATE tuning_sessions SET run = (SELECT t.run FROM tuning_trials t WHERE t.session = tuning_sessions.id AND t.run != $run ORDER BY t.number LIMIT 1)
     WHERE run = $run AND EXISTS (SELECT 1 FROM tuning_trials t WHERE t.session = tuning_sessions.id AND t.run != $run)`,
    { $run: runId },
  );
  run(db, 'DELETE FROM tuning_trials WHERE run = ?', [runId]);
  run(db, 'DELETE FROM tuning_sessions WHERE run = ?', [runId]);
}

/** The session must exist; any run may write into it (a shared study's workers each write their own trials). */
function requireSession(db: Database, session: unknown, what: string): void {
  if (typeof session !== 'string' || session === '') throw new RecordError(`${what} without session`);
  if (one(db, 'SELECT 1 AS x FROM tuning_sessions WHERE id = ?', [session]) === undefined) {
    throw new RecordError(`${what}: no tuning.session "${session}" before it`);
  }
}

function isJsonNumber(v: unknown): v is JsonNumber {
  return typeof v === 'number' || v === 'NaN' || v === 'Infinity' || v === '-Infinity';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
