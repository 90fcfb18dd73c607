import type { Database, ParamsObject } from 'sql.js';
import { spaceOf, summarize, withDerived } from '../tuning/analysis';
import type { TuningStatus, TuningStudy, TuningStudySummary, TuningTrial } from '../tuning/model';
import type { JsonNumber, TuningDistribution, TuningTrialState } from './records';
import { all, num, one, parseJson, str } from './sql';
import type { LivenessOptions } from './status';
import { crashedParam, VISIBLE_RUNS } from './visible-runs';

/**
 * Tuning sessions of the runs the UI shows. A session still "running" whose run has ended (or crashed)
 * without its tuning.complete shows as "stopped".
 */
const SESSIONS = `WITH ${VISIBLE_RUNS}
  SELECT s.*, v.name AS run_name, v.eff_status AS run_status FROM tuning_sessions s JOIN v ON v.id = s.run`;

export function listTuningSessions(db: Database, liveness: LivenessOptions, runId?: string): TuningStudySummary[] {
  const params: ParamsObject = { $crashed: crashedParam(db, liveness) };
  let where = '';
  if (runId !== undefined) {
    where = ' WHERE s.run = $run';
    params.$run = runId;
  }
  const rows = all(db, `${SESSIONS}${where} ORDER BY s.created DESC, s.run DESC, s.seq DESC`, params);
  return rows.map((row) => summarize(study(db, row), str(row.run_name)));
}

export function getTuningSession(db: Database, liveness: LivenessOptions, id: string): TuningStudy | undefined {
  const row = one(db, `${SESSIONS} WHERE s.id = $id`, { $crashed: crashedParam(db, liveness), $id: id });
  return row ? study(db, row) : undefined;
}

function study(db: Database, row: ParamsObject): TuningStudy {
  const id = String(row.id);
  const trials = all(db, 'SELECT * FROM tuning_trials WHERE session = ? ORDER BY number', [id]).map(trial);
  const recorded = parseJson<number[]>(row.best_trials);
  let status = String(row.status) as TuningStatus;
  if (status === 'running' && row.run_status !== 'running') status = row.run_status === 'failed' ? 'failed' : 'stopped';
  const importance = parseJson<{ method: string; values: Record<string, number>[] }>(row.importance);
  const space = parseJson<Record<string, TuningDistribution>>(row.space);
  const base = {
    id, studyName: String(row.study_name), directions: parseJson<TuningStudy['directions']>(row.directions) ?? ['minimize'],
    metricNames: parseJson<string[]>(row.metric_names), sampler: str(row.sampler), requestedSampler: str(row.requested_sampler),
    pruner: str(row.pruner), backend: str(row.backend) as TuningStudy['backend'], source: (str(row.source) ?? 'mlwb') as TuningStudy['source'],
    space: space ?? spaceOf(trials), config: parseJson<Record<string, unknown>>(row.config), status, run: String(row.run),
    created: num(row.created), ended: num(row.ended), durationMs: num(row.duration_ms), error: str(row.error), trials,
    ...(importance ? { recordedImportance: importance } : {}),
  };
  const derived = withDerived(base);
  // The process's own choice of best trials wins when it is known and still consistent with the trials.
  if (recorded && recorded.length > 0 && recorded.every((n) => trials.some((t) => t.number === n && t.state === 'complete'))) derived.bestTrials = recorded;
  return stripUndefined(derived);
}

function trial(row: ParamsObject): TuningTrial {
  const values = parseJson<JsonNumber[]>(row.values);
  const inter = parseJson<Record<string, JsonNumber>>(row.intermediate) ?? {};
  return stripUndefined({
    number: Number(row.number), state: String(row.state) as TuningTrialState,
    params: parseJson<Record<string, unknown>>(row.params) ?? {},
    distributions: parseJson<Record<string, TuningDistribution>>(row.distributions) ?? {},
    values: values ? values.map(toNumber) : null,
    intermediate: Object.entries(inter).map(([step, v]) => ({ step: Number(step), value: toNumber(v) })).sort((a, b) => a.step - b.step),
    started: num(row.started), ended: num(row.ended), durationMs: num(row.duration_ms),
    run: str(row.trial_run) ?? str(row.run), userAttrs: parseJson<Record<string, unknown>>(row.user_attrs), error: str(row.error),
  });
}

export function toNumber(v: JsonNumber | null): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return NaN;
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
