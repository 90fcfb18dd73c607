import type { TuningDirection, TuningDistribution, TuningStudy, TuningTrial } from '../model';

/**
 * The data of each plot of the tuning panel, shaped from a study. Pure functions with no `vscode` and no DOM:
 * the webview imports them, unit tests check them.
 */

const finite = (v: number | undefined | null): v is number => typeof v === 'number' && Number.isFinite(v);

function better(a: number, b: number, d: TuningDirection): boolean {
  return d === 'maximize' ? a > b : a < b;
}

/** The value of objective `k` of a complete trial, when finite. */
export function objectiveValue(t: TuningTrial, k: number): number | undefined {
  const v = t.state === 'complete' ? t.values?.[k] : undefined;
  return finite(v) ? v : undefined;
}

export interface HistoryData {
  /** Complete trials with a finite value: x = trial number. */
  points: { x: number; y: number; best: boolean }[];
  /** The best value so far after each trial (in trial order), from the first complete one on. */
  bestSoFar: { x: number; y: number }[];
}

/** Optimization history of one objective: every complete trial's value, and the best so far (that objective's direction). */
export function optimizationHistory(study: TuningStudy, k = 0): HistoryData {
  const direction = study.directions[k] ?? 'minimize';
  const bestSet = new Set(study.bestTrials);
  const points: HistoryData['points'] = [];
  const bestSoFar: HistoryData['bestSoFar'] = [];
  let best: number | undefined;
  for (const t of [...study.trials].sort((a, b) => a.number - b.number)) {
    const v = objectiveValue(t, k);
    if (v !== undefined) {
      points.push({ x: t.number, y: v, best: bestSet.has(t.number) });
      if (best === undefined || better(v, best, direction)) best = v;
    }
    if (best !== undefined) bestSoFar.push({ x: t.number, y: best });
  }
  return { points, bestSoFar };
}

/** Empirical distribution function of one objective's values: the fraction of trials with a value <= x (a step line). */
export function edf(study: TuningStudy, k = 0): { x: number; y: number }[] {
  const values = study.trials.map((t) => objectiveValue(t, k)).filter(finite).sort((a, b) => a - b);
  const out: { x: number; y: number }[] = [];
  values.forEach((v, i) => {
    // Ties: one point at the highest fraction.
    if (i + 1 < values.length && values[i + 1] === v) return;
    out.push({ x: v, y: (i + 1) / values.length });
  });
  return out;
}

/** How a parameter maps onto an axis: numbers as they are (log scale for log distributions), choices by index. */
export interface ParamAxis {
  name: string;
  kind: 'numeric' | 'categorical';
  log: boolean;
  /** Categorical: the choice labels, by index. */
  labels?: string[];
  min: number;
  max: number;
}

const label = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function paramAxis(study: TuningStudy, name: string): ParamAxis {
  const dist: TuningDistribution | undefined = study.space[name] ?? study.trials.find((t) => t.distributions[name])?.distributions[name];
  const present = study.trials.filter((t) => name in t.params).map((t) => t.params[name]);
  if (dist?.type === 'categorical' || present.some((v) => typeof v !== 'number')) {
    const labels = dist?.type === 'categorical' ? dist.choices.map(label) : [...new Set(present.map(label))].sort();
    for (const v of present) if (!labels.includes(label(v))) labels.push(label(v));
    return { name, kind: 'categorical', log: false, labels, min: 0, max: Math.max(0, labels.length - 1) };
  }
  const nums = present.filter((v): v is number => finite(v as number));
  const range = dist?.type === 'float' || dist?.type === 'int' ? dist : undefined;
  const lo = range ? Math.min(range.low, ...nums) : Math.min(...nums);
  const hi = range ? Math.max(range.high, ...nums) : Math.max(...nums);
  const log = range?.log === true && lo > 0;
  return { name, kind: 'numeric', log, min: Number.isFinite(lo) ? lo : 0, max: Number.isFinite(hi) ? hi : 1 };
}

/** The position of a trial's value on a parameter's axis (a choice's index for categorical ones). */
export function axisPosition(axis: ParamAxis, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (axis.kind === 'categorical') {
    const i = axis.labels!.indexOf(label(v));
    return i >= 0 ? i : undefined;
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export interface SliceData {
  axis: ParamAxis;
  points: { x: number; y: number; number: number }[];
}

/** Slice plot: objective value against one parameter, one point per complete trial that has it. */
export function sliceData(study: TuningStudy, param: string, k = 0): SliceData {
  const axis = paramAxis(study, param);
  const points: SliceData['points'] = [];
  for (const t of study.trials) {
    const y = objectiveValue(t, k);
    const x = axisPosition(axis, t.params[param]);
    if (y !== undefined && x !== undefined) points.push({ x, y, number: t.number });
  }
  return { axis, points };
}

export interface ContourData {
  x: ParamAxis;
  y: ParamAxis;
  /** Cell centres along each axis (in the axis's own units; log axes spaced evenly in log). */
  xs: number[];
  ys: number[];
  /** values[j][i]: the estimate at (xs[i], ys[j]); null where nothing can be told. */
  values: (number | null)[][];
  min: number;
  max: number;
  points: { x: number; y: number; value: number; number: number }[];
}

/**
 * Contour of the objective over two parameters: the complete trials' values interpolated on a regular grid by
 * inverse-distance weighting (power 2) in normalised axis coordinates (log axes in log space, choices by index).
 * Honest and simple: between distant trials it is a smooth blend, not a model of the objective.
 */
export function contourGrid(study: TuningStudy, px: string, py: string, k = 0, size = 24): ContourData {
  const x = paramAxis(study, px);
  const y = paramAxis(study, py);
  const points: ContourData['points'] = [];
  for (const t of study.trials) {
    const value = objectiveValue(t, k);
    const a = axisPosition(x, t.params[px]);
    const b = axisPosition(y, t.params[py]);
    if (value !== undefined && a !== undefined && b !== undefined) points.push({ x: a, y: b, value, number: t.number });
  }
  const norm = (axis: ParamAxis) => {
    const f = (v: number) => (axis.log ? Math.log(v) : v);
    const lo = f(axis.min);
    const hi = f(axis.max);
    return { to: (v: number) => (hi > lo ? (f(v) - lo) / (hi - lo) : 0.5), from: (u: number) => (axis.log ? Math.exp(lo + u * (hi - lo)) : lo + u * (hi - lo)) };
  };
  const nx = norm(x);
  const ny = norm(y);
  const cells = (axis: ParamAxis, n: ReturnType<typeof norm>) =>
    axis.kind === 'categorical' ? axis.labels!.map((_, i) => i) : Array.from({ length: size }, (_, i) => n.from((i + 0.5) / size));
  const xs = cells(x, nx);
  const ys = cells(y, ny);
  const scaled = points.map((p) => ({ u: nx.to(p.x), v: ny.to(p.y), value: p.value }));
  const values = ys.map((yv) =>
    xs.map((xv) => {
      if (scaled.length === 0) return null;
      const u = nx.to(xv);
      const v = ny.to(yv);
      let num = 0;
      let den = 0;
      for (const p of scaled) {
        const d2 = (p.u - u) ** 2 + (p.v - v) ** 2;
        if (d2 < 1e-12) return p.value;
        num += p.value / d2;
        den += 1 / d2;
      }
      return num / den;
    }),
  );
  const all = points.map((p) => p.value);
  return { x, y, xs, ys, values, min: all.length ? Math.min(...all) : 0, max: all.length ? Math.max(...all) : 1, points };
}

export interface ParetoData {
  points: { x: number; y: number; number: number; front: boolean }[];
}

/** Two objectives of a multi-objective study: every complete trial, the Pareto front (study.bestTrials) marked. */
export function paretoData(study: TuningStudy, i = 0, j = 1): ParetoData {
  const front = new Set(study.bestTrials);
  const points: ParetoData['points'] = [];
  for (const t of study.trials) {
    const a = objectiveValue(t, i);
    const b = objectiveValue(t, j);
    if (a !== undefined && b !== undefined) points.push({ x: a, y: b, number: t.number, front: front.has(t.number) });
  }
  return { points };
}

/** Intermediate values (trial.report) of every trial that reported some, with its state. */
export function intermediateCurves(study: TuningStudy): { number: number; state: TuningTrial['state']; points: { x: number; y: number }[] }[] {
  return study.trials
    .filter((t) => t.intermediate.length > 0)
    .map((t) => ({ number: t.number, state: t.state, points: t.intermediate.filter((p) => finite(p.value)).map((p) => ({ x: p.step, y: p.value })) }));
}

// The trial table.

export type SortKey = { kind: 'number' | 'state' | 'duration' } | { kind: 'value'; index: number } | { kind: 'param'; name: string };

export interface TrialRow {
  number: number;
  state: TuningTrial['state'];
  values: (number | null)[];
  params: Record<string, unknown>;
  durationMs?: number;
  best: boolean;
}

export function trialRows(study: TuningStudy): TrialRow[] {
  const best = new Set(study.bestTrials);
  return study.trials.map((t) => ({
    number: t.number,
    state: t.state,
    values: study.directions.map((_, k) => t.values?.[k] ?? null),
    params: t.params,
    durationMs: t.durationMs ?? (t.started !== undefined && t.ended !== undefined ? (t.ended - t.started) * 1000 : undefined),
    best: best.has(t.number),
  }));
}

/** Sorts rows by a column; missing values (and NaN) always last, ties by trial number. */
export function sortRows(rows: readonly TrialRow[], key: SortKey, dir: 'asc' | 'desc'): TrialRow[] {
  const get = (r: TrialRow): number | string | undefined => {
    switch (key.kind) {
      case 'number':
        return r.number;
      case 'state':
        return r.state;
      case 'duration':
        return r.durationMs;
      case 'value': {
        const v = r.values[key.index];
        return v === null || Number.isNaN(v) ? undefined : v;
      }
      case 'param': {
        const v = r.params[key.name];
        return v === undefined || v === null ? undefined : typeof v === 'number' ? v : label(v);
      }
    }
  };
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = get(a);
    const vb = get(b);
    if (va === undefined || vb === undefined) return va === vb ? a.number - b.number : va === undefined ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), undefined, { numeric: true });
    return c !== 0 ? sign * c : a.number - b.number;
  });
}

/** Parameters in a useful order: by importance when known, else the space's order. */
export function orderedParams(study: TuningStudy, importance?: Record<string, number>): string[] {
  const names = Object.keys(study.space);
  for (const t of study.trials) for (const k of Object.keys(t.params)) if (!names.includes(k)) names.push(k);
  if (!importance) return names;
  return [...names].sort((a, b) => (importance[b] ?? -1) - (importance[a] ?? -1));
}

export function objectiveName(study: TuningStudy, k: number): string {
  return study.metricNames?.[k] ?? (study.directions.length === 1 ? 'value' : `objective ${k}`);
}

/** A short, exact-enough text for a number in tables and tooltips. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
    if (Number.isInteger(v)) return String(v);
    const abs = Math.abs(v);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}
