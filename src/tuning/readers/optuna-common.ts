import type { TuningDirection, TuningDistribution, TuningTrialState } from '../model';

/** What both optuna readers share: optuna's distribution JSON, enums and timestamps. */

/** optuna's `distribution_to_json`: {"name": "FloatDistribution", "attributes": {...}} (and the 2.x names). */
export interface OptunaDistributionJson {
  name: string;
  attributes: Record<string, unknown>;
}

export function parseDistribution(json: string | OptunaDistributionJson): TuningDistribution {
  const d = (typeof json === 'string' ? JSON.parse(json) : json) as OptunaDistributionJson;
  const a = d.attributes ?? {};
  const low = Number(a.low);
  const high = Number(a.high);
  const withOpts = <T extends TuningDistribution>(base: T, log: unknown, step: unknown, defaultStep?: number): T => {
    const out = { ...base } as T & { log?: boolean; step?: number };
    if (log === true) out.log = true;
    if (typeof step === 'number' && step !== defaultStep) out.step = step;
    return out;
  };
  switch (d.name) {
    case 'CategoricalDistribution':
      return { type: 'categorical', choices: (a.choices as (string | number | boolean | null)[] | undefined) ?? [] };
    case 'FloatDistribution':
      return withOpts({ type: 'float', low, high }, a.log, a.step);
    case 'IntDistribution':
      return withOpts({ type: 'int', low, high }, a.log, a.step, 1);
    case 'UniformDistribution':
      return { type: 'float', low, high };
    case 'LogUniformDistribution':
      return { type: 'float', low, high, log: true };
    case 'DiscreteUniformDistribution':
      return withOpts({ type: 'float', low, high }, false, a.q);
    case 'IntUniformDistribution':
      return withOpts({ type: 'int', low, high }, false, a.step, 1);
    case 'IntLogUniformDistribution':
      return withOpts({ type: 'int', low, high, log: true }, true, a.step, 1);
    default:
      throw new Error(`unknown optuna distribution ${JSON.stringify(d.name)}`);
  }
}

/** optuna's `to_external_repr`: the choice for a categorical (stored as its index), an int for int ranges. */
export function externalValue(dist: TuningDistribution, internal: number): unknown {
  if (dist.type === 'categorical') return dist.choices[Math.trunc(internal)];
  if (dist.type === 'int') return Math.trunc(internal);
  return internal;
}

const STATES: Record<string, TuningTrialState> = {
  RUNNING: 'running', COMPLETE: 'complete', PRUNED: 'pruned', FAIL: 'fail', WAITING: 'waiting',
  0: 'running', 1: 'complete', 2: 'pruned', 3: 'fail', 4: 'waiting',
};

export function trialState(v: unknown): TuningTrialState {
  const s = STATES[String(v)];
  if (!s) throw new Error(`unknown optuna trial state ${JSON.stringify(v)}`);
  return s;
}

/** StudyDirection: NOT_SET (0) counts as minimize, as optuna's create_study does. */
export function studyDirection(v: unknown): TuningDirection {
  return String(v) === 'MAXIMIZE' || String(v) === '2' ? 'maximize' : 'minimize';
}

/**
 * A naive local timestamp as "YYYY-MM-DDTHH:MM:SS.ffffff" (the RDB stores a space and the journal a "T"),
 * and its epoch seconds (read as local time, as optuna wrote it).
 */
export function timestamp(v: unknown): { iso: string; epoch: number } | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(v.trim());
  if (!m) return undefined;
  const frac = (m[3] ?? '').padEnd(6, '0');
  const iso = `${m[1]}T${m[2]}.${frac}`;
  const [y, mo, d] = m[1].split('-').map(Number);
  const [h, mi, s] = m[2].split(':').map(Number);
  const epoch = new Date(y, mo - 1, d, h, mi, s).getTime() / 1000 + Number(frac) / 1e6;
  return { iso, epoch };
}
