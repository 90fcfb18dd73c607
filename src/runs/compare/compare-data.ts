/** The comparison's state from the store's RunComparison (no `vscode`). */
import type { RunComparison, XAxis } from '../../store/query-types';
import type { TrackingStore } from '../../store/tracking-store';
import { groupMetricKeys } from '../charts/metric-groups';
import { bucketsFor, summaryToWire, toWire, type WireSeries } from '../charts/series-wire';
import type { CompareData, KeySeries, ParamValue } from './contract';

/** Lines in the first payload; the other metrics load when their chart scrolls into view. */
export const FIRST_PAYLOAD_LINES = 200;

export function compareData(c: RunComparison, requested: readonly string[]): CompareData {
  const found = new Set(c.runs.map((r) => r.id));
  return {
    runs: c.runs.map((r) => ({ id: r.id, name: r.name, status: r.status, experimentName: r.experimentName, created: r.created, duration: r.duration })),
    params: c.params.map((p) => ({ key: p.key, values: p.values.map((v) => (v === undefined ? null : (v as ParamValue))), differs: p.differs })),
    metrics: c.metrics.map((m) => ({ key: m.key, values: m.values.map((s) => (s ? summaryToWire(s) : null)) })),
    missing: requested.filter((id) => !found.has(id)),
  };
}

/**
 * The metrics whose series go in the first payload, in display order: as many as fit in `budget`
 * lines (at least one), so opening 50 runs stays quick; the webview asks for the rest when scrolled to.
 */
export function firstKeys(data: CompareData, budget: number): string[] {
  const lineCount = new Map(data.metrics.map((m) => [m.key, m.values.filter(Boolean).length]));
  const ordered = groupMetricKeys(data.metrics.map((m) => m.key)).flatMap((g) => g.keys);
  const out: string[] = [];
  let used = 0;
  for (const key of ordered) {
    const n = lineCount.get(key) ?? 0;
    if (out.length > 0 && used + n > budget) break;
    out.push(key);
    used += n;
  }
  return out;
}

/** What the panel sends on `ready`: the comparison and the first metrics' series (the bench times this). */
export function firstPayload(s: TrackingStore, runIds: readonly string[], width: number, xAxis: XAxis): { data: CompareData; series: KeySeries[] } {
  const data = compareData(s.compareRuns(runIds), runIds);
  const ids = data.runs.map((r) => r.id);
  const series = firstKeys(data, FIRST_PAYLOAD_LINES).map((key) => keySeries(s, ids, key, width, xAxis));
  return { data, series };
}

/** One metric's lines for the given runs, downsampled for a chart `width` pixels wide. */
export function keySeries(s: TrackingStore, runIds: readonly string[], key: string, width: number, xAxis: XAxis, range?: [number, number]): KeySeries {
  const lines: WireSeries[] = [];
  for (const id of runIds) {
    const view = s.getSeries(id, key, { width: bucketsFor(width), xAxis, range });
    if (view) lines.push(toWire(view, range));
  }
  return { key, lines };
}
