/**
 * Turning an explain.json into what the panel draws (no `vscode`, no DOM: the host uses the first
 * half, the webview the chart helpers of the second, and unit tests both).
 */
import type { ExplainPanelData, FeatureColumn, PdpData } from './contract';
import type { Cell, ExplainFile } from './explain-file';

/** A beeswarm of 2,000 rows × 50 features draws quickly; more rows add nothing a reader can see. */
export const MAX_ROWS = 2000;
export const MAX_FEATURES = 50;
export const MAX_ICE_LINES = 50;

/** `max` indices spread evenly over 0..n-1 (all of them when n ≤ max). */
export function sampleIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

function column(name: string, cells: Cell[]): FeatureColumn {
  const numeric = cells.every((c) => c === null || typeof c === 'number' || typeof c === 'boolean');
  if (numeric) return { name, numeric, values: cells.map((c) => (c === null ? null : Number(c))).map((v) => (v !== null && Number.isFinite(v) ? v : null)) };
  const categories = [...new Set(cells.filter((c) => c !== null).map(String))].sort();
  const code = new Map(categories.map((c, i) => [c, i]));
  return { name, numeric, values: cells.map((c) => (c === null ? null : code.get(String(c)) ?? null)), categories };
}

const finiteOrNull = (v: number): number => (Number.isFinite(v) ? v : NaN);

/** The panel's data for one output: rows and features capped, the rest summed where it matters. */
export function panelData(file: ExplainFile, path: string, title: string, requestedOutput: number): ExplainPanelData {
  const m = file.metadata;
  const output = Math.min(Math.max(0, requestedOutput), file.shap.outputs.length - 1);
  const out = file.shap.outputs[output];
  const rows = sampleIndices(file.shap.featureValues.length, MAX_ROWS);
  const ranked = file.importance.length === m.featureNames.length
    ? file.importance.map((e) => e.index)
    : m.featureNames.map((_, j) => j).sort((a, b) => out.meanAbs[b] - out.meanAbs[a]);
  const sent = ranked.slice(0, MAX_FEATURES);
  const sentSet = new Set(sent);
  const rest = m.featureNames.map((_, j) => j).filter((j) => !sentSet.has(j));
  const pdp: PdpData[] = file.partialDependence.flatMap((pd) => {
    const o = pd.outputs[output] ?? pd.outputs.find((x) => x.name === out.name);
    return o ? [{ feature: pd.feature, grid: pd.grid, average: o.average, individual: o.individual.slice(0, MAX_ICE_LINES) }] : [];
  });
  const byIndex = new Map(file.importance.map((e) => [e.index, e]));
  return {
    title,
    path,
    model: { type: m.model.type, path: m.model.path },
    method: m.method,
    algorithm: m.algorithm,
    task: m.task,
    outputSpace: m.outputSpace,
    created: m.created,
    data: m.data,
    run: m.run,
    notes: m.notes,
    warnings: m.warnings,
    localAccuracyMaxError: m.localAccuracyMaxError,
    rows: { explained: file.shap.featureValues.length, sent: rows.length, data: m.dataRows },
    featureCount: m.featureNames.length,
    outputs: file.shap.outputs.map((o) => ({ name: o.name, baseValue: o.baseValue })),
    output,
    baseValue: out.baseValue,
    importance: ranked.map((j) => {
      const e = byIndex.get(j);
      return {
        feature: m.featureNames[j],
        meanAbsShap: e?.meanAbsShap ?? out.meanAbs[j],
        meanAbs: out.meanAbs[j],
        ...(e?.permutationMean !== undefined ? { permutationMean: e.permutationMean } : {}),
        ...(e?.permutationStd !== undefined ? { permutationStd: e.permutationStd } : {}),
      };
    }),
    permutation: file.permutationImportance
      ? { scoring: file.permutationImportance.scoring, baselineScore: file.permutationImportance.baselineScore, repeats: file.permutationImportance.nRepeats }
      : undefined,
    permutationSkipped: file.permutationSkipped ?? undefined,
    features: sent.map((j) => column(m.featureNames[j], rows.map((r) => file.shap.featureValues[r][j]))),
    shap: sent.map((j) => rows.map((r) => finiteOrNull(out.values[r][j]))),
    restShap: rows.map((r) => rest.reduce((s, j) => s + out.values[r][j], 0)),
    prediction: rows.map((r) => out.prediction[r]),
    rowNumbers: m.rowIndices ? rows.map((r) => m.rowIndices![r]) : undefined,
    pdp,
  };
}

// -- chart helpers (the webview) --------------------------------------------------------------

export interface WaterfallStep {
  label: string;
  /** The running total before and after this step (base and prediction: both the value). */
  start: number;
  end: number;
  value: number;
  kind: 'base' | 'feature' | 'other' | 'prediction';
}

/**
 * Base value → the k largest contributions (by |SHAP|, largest first) → "N other features" (the
 * rest summed, plus `rest`: the features not listed at all) → prediction (base + every SHAP value).
 */
export function waterfall(base: number, contributions: { label: string; value: number }[], k: number, rest = 0): WaterfallStep[] {
  const sorted = [...contributions].filter((c) => Number.isFinite(c.value)).sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const top = sorted.slice(0, Math.max(0, k));
  const others = sorted.slice(top.length);
  const otherCount = others.length + (rest !== 0 ? 1 : 0);
  const otherSum = others.reduce((s, c) => s + c.value, 0) + rest;
  const steps: WaterfallStep[] = [{ label: 'base value', start: base, end: base, value: base, kind: 'base' }];
  let at = base;
  for (const c of top) {
    steps.push({ label: c.label, start: at, end: at + c.value, value: c.value, kind: 'feature' });
    at += c.value;
  }
  if (otherCount > 0) {
    const label = others.length > 0 ? `${others.length} other feature${others.length === 1 ? '' : 's'}` : 'other features';
    steps.push({ label, start: at, end: at + otherSum, value: otherSum, kind: 'other' });
    at += otherSum;
  }
  steps.push({ label: 'prediction', start: at, end: at, value: at, kind: 'prediction' });
  return steps;
}

/**
 * Vertical offsets (within ±maxOffset) that spread points with close x values apart, as a
 * beeswarm does: x is cut into `bins` buckets, and the points of a bucket alternate above and
 * below the line, the bucket's band wider the more points it holds.
 */
export function beeswarmOffsets(xs: readonly number[], bins = 60, maxOffset = 0.4): number[] {
  const finite = xs.filter((x) => Number.isFinite(x));
  const offsets = new Array<number>(xs.length).fill(0);
  if (finite.length === 0) return offsets;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const width = hi - lo || 1;
  const buckets = new Map<number, number[]>();
  xs.forEach((x, i) => {
    if (!Number.isFinite(x)) return;
    const b = Math.min(bins - 1, Math.floor(((x - lo) / width) * bins));
    const list = buckets.get(b);
    if (list) list.push(i);
    else buckets.set(b, [i]);
  });
  // A bucket's spread grows with the square root of its share of the most crowded one: density
  // reads as width, and a few points are not flung to the edges.
  const crowd = Math.max(...[...buckets.values()].map((l) => l.length));
  for (const list of buckets.values()) {
    const half = maxOffset * Math.sqrt(list.length / crowd);
    const step = list.length > 1 ? (2 * half) / list.length : 0;
    list.forEach((i, n) => {
      const rank = Math.ceil(n / 2);
      offsets[i] = (n % 2 === 0 ? 1 : -1) * rank * step;
    });
  }
  return offsets;
}

/**
 * Each value's place between low (0) and high (1), clipped at the 5th and 95th percentiles as
 * SHAP's summary plot does (one outlier does not wash out the colours); NaN for missing values.
 */
export function colorPositions(values: readonly (number | null)[]): number[] {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return values.map(() => NaN);
  const at = (q: number) => finite[Math.min(finite.length - 1, Math.max(0, Math.round(q * (finite.length - 1))))];
  let lo = at(0.05);
  let hi = at(0.95);
  if (hi <= lo) {
    lo = finite[0];
    hi = finite[finite.length - 1];
  }
  return values.map((v) => (v === null || !Number.isFinite(v) ? NaN : hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5));
}

/** Pearson correlation of the pairs where both are finite (0 when undefined). */
export function correlation(a: readonly (number | null)[], b: readonly (number | null)[]): number {
  const pairs: [number, number][] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== null && y !== null && Number.isFinite(x) && Number.isFinite(y)) pairs.push([x, y]);
  }
  if (pairs.length < 3) return 0;
  const mx = pairs.reduce((s, p) => s + p[0], 0) / pairs.length;
  const my = pairs.reduce((s, p) => s + p[1], 0) / pairs.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/**
 * The feature to colour a dependence plot of `feature` by: the one whose values best explain what
 * the feature's own value does not (correlation with the SHAP values' residual after a linear fit
 * on the feature), a cheap stand-in for SHAP's approximate interactions.
 */
export function colourByCandidate(data: Pick<ExplainPanelData, 'features' | 'shap'>, feature: number): number | undefined {
  const x = data.features[feature]?.values;
  const y = data.shap[feature];
  if (!x || !y) return undefined;
  const r = correlation(x, y);
  const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);
  const xs = x.filter(finite);
  const ys = y.filter((v) => Number.isFinite(v));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / (a.length || 1);
  const sd = (a: number[]) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2))) || 1;
  const [mx, sx, my, sy] = [mean(xs), sd(xs), mean(ys), sd(ys)];
  const residual = y.map((v, i) => (finite(x[i]) && Number.isFinite(v) ? v - my - (r * sy * ((x[i] as number) - mx)) / sx : null));
  let best: number | undefined;
  let bestScore = -1;
  data.features.forEach((f, k) => {
    if (k === feature) return;
    const score = Math.abs(correlation(f.values, residual));
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  });
  return best;
}
