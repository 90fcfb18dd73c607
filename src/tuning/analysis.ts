import type { ParamImportance, TuningDirection, TuningDistribution, TuningStudy, TuningStudySummary, TuningTrial, TuningTrialState } from './model';

/** Derived views of a study: best so far, Pareto front, summaries, parameter importance. Pure functions. */

function better(a: number, b: number, direction: TuningDirection): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

function completeValues(t: TuningTrial, n: number): number[] | undefined {
  if (t.state !== 'complete' || !t.values || t.values.length !== n) return undefined;
  return t.values.every((v) => !Number.isNaN(v)) ? t.values : undefined;
}

/** Single objective: per trial (in the given order), the best complete value up to it, null before any. */
export function bestSoFar(trials: readonly TuningTrial[], direction: TuningDirection): (number | null)[] {
  let best: number | null = null;
  return trials.map((t) => {
    const v = completeValues(t, 1)?.[0];
    if (v !== undefined && (best === null || better(v, best, direction))) best = v;
    return best;
  });
}

/** Whether `a` dominates `b`: no worse in every objective, better in one. */
function dominates(a: number[], b: number[], directions: readonly TuningDirection[]): boolean {
  let strictly = false;
  for (let i = 0; i < directions.length; i++) {
    if (better(b[i], a[i], directions[i])) return false;
    if (better(a[i], b[i], directions[i])) strictly = true;
  }
  return strictly;
}

/**
 * The best trials as optuna's `study.best_trials` gives them: for one objective the first trial with the
 * best value, for several the complete trials no other complete trial dominates (by number).
 */
export function bestTrials(trials: readonly TuningTrial[], directions: readonly TuningDirection[]): number[] {
  const n = directions.length;
  const done = trials.filter((t) => completeValues(t, n)).sort((a, b) => a.number - b.number);
  if (n === 1) {
    let best: TuningTrial | undefined;
    for (const t of done) if (!best || better(t.values![0], best.values![0], directions[0])) best = t;
    return best ? [best.number] : [];
  }
  return done.filter((t) => !done.some((o) => o !== t && dominates(o.values!, t.values!, directions))).map((t) => t.number);
}

export function stateCounts(trials: readonly TuningTrial[]): Record<TuningTrialState, number> {
  const counts: Record<TuningTrialState, number> = { running: 0, complete: 0, pruned: 0, fail: 0, waiting: 0 };
  for (const t of trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return counts;
}

/** The union of the trials' distributions (the first seen of each parameter), for studies without a declared space. */
export function spaceOf(trials: readonly TuningTrial[]): Record<string, TuningDistribution> {
  const space: Record<string, TuningDistribution> = {};
  for (const t of trials) for (const [k, d] of Object.entries(t.distributions)) if (!(k in space)) space[k] = d;
  return space;
}

/** Fills in the derived fields (best trials when not recorded, best so far) of a study. */
export function withDerived(study: Omit<TuningStudy, 'bestTrials' | 'bestSoFar'> & { bestTrials?: number[] }): TuningStudy {
  const trials = [...study.trials].sort((a, b) => a.number - b.number);
  const best = bestTrials(trials, study.directions);
  return {
    ...study,
    trials,
    bestTrials: best,
    ...(study.directions.length === 1 ? { bestSoFar: bestSoFar(trials, study.directions[0]) } : {}),
  };
}

export function summarize(study: TuningStudy, runName?: string): TuningStudySummary {
  const byNumber = new Map(study.trials.map((t) => [t.number, t]));
  return {
    id: study.id, studyName: study.studyName, directions: study.directions, metricNames: study.metricNames, sampler: study.sampler,
    source: study.source, status: study.status, run: study.run, runName, created: study.created, ended: study.ended,
    counts: stateCounts(study.trials), nTrials: study.trials.length,
    best: study.bestTrials.flatMap((n) => {
      const t = byNumber.get(n);
      return t?.values ? [{ number: n, values: t.values, params: t.params }] : [];
    }),
  };
}

// Parameter importance.

export interface ImportanceOptions {
  /** Trees of the forest (default 64, as optuna's MeanDecreaseImpurityImportanceEvaluator). */
  trees?: number;
  maxDepth?: number;
  seed?: number;
}

/**
 * Importance of the parameters for one objective: the one recorded by the tuning process when there is one
 * (optuna's fANOVA, computed in Python when optuna is installed), else ours (`mdiImportance`).
 */
export function paramImportance(study: TuningStudy, objective = 0, opts: ImportanceOptions = {}): ParamImportance {
  const recorded = study.recordedImportance?.values[objective];
  if (recorded && Object.keys(recorded).length > 0) return { method: study.recordedImportance!.method, objective, values: sortDesc(recorded) };
  return { method: 'mdi-forest', objective, values: mdiImportance(study.trials, study.space, objective, opts) };
}

/**
 * Our own importance, computed in TypeScript: mean decrease in impurity of a random forest of regression
 * trees (bootstrap samples, every feature at every split, deterministic seed) fitted on the complete
 * trials: parameter values (log-scaled for log distributions, choice index for categorical ones, a
 * value below the range when a trial lacks the parameter) -> objective value. The same method as
 * optuna's MeanDecreaseImpurityImportanceEvaluator; normalised to sum to 1, most important first.
 * All zero when fewer than two trials or no variance.
 */
export function mdiImportance(
  trials: readonly TuningTrial[], space: Record<string, TuningDistribution>, objective = 0, opts: ImportanceOptions = {},
): Record<string, number> {
  const names = Object.keys(space).length > 0 ? Object.keys(space) : Object.keys(spaceOf(trials));
  const rows = trials.filter((t) => t.state === 'complete' && t.values && Number.isFinite(t.values[objective]));
  const zero = Object.fromEntries(names.map((n) => [n, 0]));
  if (names.length === 0 || rows.length < 2) return zero;
  const y = rows.map((t) => t.values![objective]);
  const X = names.map((name) => encodeColumn(rows, name, space[name] ?? rows.find((t) => t.distributions[name])?.distributions[name]));
  const total = new Float64Array(names.length);
  const rand = mulberry32(opts.seed ?? 0);
  const trees = opts.trees ?? 64;
  let used = 0;
  for (let k = 0; k < trees; k++) {
    const sample = Array.from({ length: y.length }, () => Math.floor(rand() * y.length));
    const gains = new Float64Array(names.length);
    growTree(X, y, sample, 0, opts.maxDepth ?? 64, gains);
    const sum = gains.reduce((a, b) => a + b, 0);
    if (sum <= 0) continue;
    used++;
    for (let f = 0; f < names.length; f++) total[f] += gains[f] / sum;
  }
  if (used === 0) return zero;
  const sum = total.reduce((a, b) => a + b, 0);
  return sortDesc(Object.fromEntries(names.map((n, f) => [n, total[f] / sum])));
}

function encodeColumn(rows: readonly TuningTrial[], name: string, dist: TuningDistribution | undefined): number[] {
  const col = rows.map((t) => {
    if (!(name in t.params)) return NaN;
    const v = t.params[name];
    if (dist?.type === 'categorical') {
      const i = dist.choices.findIndex((c) => c === v);
      return i >= 0 ? i : NaN;
    }
    if (typeof v !== 'number') return NaN;
    return dist && dist.log && v > 0 ? Math.log(v) : v;
  });
  const finite = col.filter((v) => Number.isFinite(v));
  const missing = finite.length === 0 ? 0 : Math.min(...finite) - 1;
  return col.map((v) => (Number.isFinite(v) ? v : missing));
}

/** Grows one CART regression tree on `idx` (a bootstrap sample, repeats allowed), adding each split's weighted impurity decrease to `gains`. */
function growTree(X: number[][], y: number[], idx: number[], depth: number, maxDepth: number, gains: Float64Array): void {
  const n = idx.length;
  if (n < 2 || depth >= maxDepth) return;
  let sum = 0;
  let sq = 0;
  for (const i of idx) {
    sum += y[i];
    sq += y[i] * y[i];
  }
  const sse = sq - (sum * sum) / n;
  if (sse <= 1e-12 * Math.max(1, Math.abs(sq))) return;
  let best = { gain: 0, feature: -1, threshold: 0 };
  for (let f = 0; f < X.length; f++) {
    const col = X[f];
    const order = [...idx].sort((a, b) => col[a] - col[b]);
    let ls = 0;
    let lq = 0;
    for (let k = 0; k < n - 1; k++) {
      const v = y[order[k]];
      ls += v;
      lq += v * v;
      const a = col[order[k]];
      const b = col[order[k + 1]];
      if (a === b) continue;
      const nl = k + 1;
      const nr = n - nl;
      const rs = sum - ls;
      const rq = sq - lq;
      const gain = sse - (lq - (ls * ls) / nl) - (rq - (rs * rs) / nr);
      if (gain > best.gain + 1e-12) best = { gain, feature: f, threshold: (a + b) / 2 };
    }
  }
  if (best.feature < 0) return;
  gains[best.feature] += best.gain;
  const col = X[best.feature];
  growTree(X, y, idx.filter((i) => col[i] <= best.threshold), depth + 1, maxDepth, gains);
  growTree(X, y, idx.filter((i) => col[i] > best.threshold), depth + 1, maxDepth, gains);
}

function sortDesc(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
