/**
 * Parallel coordinates of params → a metric: one vertical axis per param (numeric: linear between
 * its min and max; otherwise its distinct values, sorted, evenly spaced) and the metric last. Each
 * run is a polyline of positions in [0, 1] (0 at the bottom), null where it lacks the value.
 */
export interface ParallelAxis {
  key: string;
  kind: 'numeric' | 'categorical' | 'metric';
  /** Tick labels from bottom to top, with their positions. */
  ticks: { at: number; label: string }[];
}

export interface ParallelData {
  axes: ParallelAxis[];
  /** Per run, one position per axis. */
  lines: { run: string; values: (number | null)[] }[];
}

type Json = string | number | boolean | null | object;

const label = (v: Json) => (typeof v === 'string' ? v : JSON.stringify(v));

function numericAxis(key: string, values: readonly (number | null)[], kind: 'numeric' | 'metric'): { axis: ParallelAxis; pos: (number | null)[] } {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const scale = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const ticks = finite.length === 0 ? [] : hi > lo ? [0, 0.5, 1].map((at) => ({ at, label: fmt(lo + (hi - lo) * at) })) : [{ at: 0.5, label: fmt(lo) }];
  return { axis: { key, kind, ticks }, pos: values.map((v) => (v !== null && Number.isFinite(v) ? scale(v) : null)) };
}

function fmt(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

export function parallelCoordinates(
  runs: readonly string[],
  params: readonly { key: string; values: readonly Json[] }[],
  metric: { key: string; values: readonly (number | null)[] } | undefined,
): ParallelData {
  const columns: (number | null)[][] = [];
  const axes: ParallelAxis[] = [];
  for (const p of params) {
    const present = p.values.filter((v) => v !== null);
    if (present.length === 0) continue;
    if (present.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      const { axis, pos } = numericAxis(p.key, p.values.map((v) => (typeof v === 'number' ? v : null)), 'numeric');
      axes.push(axis);
      columns.push(pos);
    } else {
      const distinct = [...new Set(present.map(label))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      const at = (i: number) => (distinct.length === 1 ? 0.5 : i / (distinct.length - 1));
      axes.push({ key: p.key, kind: 'categorical', ticks: distinct.map((l, i) => ({ at: at(i), label: l })) });
      columns.push(p.values.map((v) => (v === null ? null : at(distinct.indexOf(label(v))))));
    }
  }
  if (metric) {
    const { axis, pos } = numericAxis(metric.key, metric.values, 'metric');
    axes.push(axis);
    columns.push(pos);
  }
  return { axes, lines: runs.map((run, i) => ({ run, values: columns.map((c) => c[i] ?? null) })) };
}
