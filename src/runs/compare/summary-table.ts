/** The comparison's summary table: one row per run, a column per metric (its last, min or max), sortable. */
import type { WireNumber, WireSummary } from '../charts/series-wire';
import { decodeNumber } from '../charts/series-wire';

export type Aggregate = 'last' | 'min' | 'max';

export interface SummaryRow {
  run: string;
  name: string;
  /** Index in the selection (its colour). */
  index: number;
  values: (number | undefined)[];
}

export function summaryRows(
  runs: readonly { id: string; name: string }[],
  metrics: readonly { key: string; values: readonly (WireSummary | null)[] }[],
  agg: Aggregate,
): SummaryRow[] {
  return runs.map((r, i) => ({
    run: r.id,
    name: r.name,
    index: i,
    values: metrics.map((m) => {
      const s = m.values[i];
      if (!s) return undefined;
      const v: WireNumber | undefined = agg === 'last' ? s.last : s[agg];
      return v === undefined ? undefined : decodeNumber(v);
    }),
  }));
}

/**
 * Sorted by a metric column (index) or by name (-1). Runs without the value (or NaN) always go last,
 * whichever the direction; ties keep the selection order.
 */
export function sortRows(rows: readonly SummaryRow[], column: number, dir: 'asc' | 'desc'): SummaryRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    if (column < 0) return sign * a.name.localeCompare(b.name, undefined, { numeric: true }) || a.index - b.index;
    const va = a.values[column];
    const vb = b.values[column];
    const ma = va === undefined || Number.isNaN(va);
    const mb = vb === undefined || Number.isNaN(vb);
    if (ma || mb) return ma === mb ? a.index - b.index : ma ? 1 : -1;
    return sign * ((va as number) - (vb as number)) || a.index - b.index;
  });
}
