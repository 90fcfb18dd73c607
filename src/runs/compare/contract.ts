/** Run comparison <-> extension host. Imported by both sides; bump the version on any change. */
import { messageType } from '../../platform/webview-contract';
import type { XAxis } from '../../store/query-types';
import type { RunStatus } from '../../store/records';
import type { WireSeries, WireSummary } from '../charts/series-wire';
import { int, pngDataUrl, range, str, width, xAxis } from '../charts/message-checks';

export const COMPARE_PROTOCOL = 1;

/** What the webview keeps in its vscode state, so a reload brings the same comparison back. */
export interface CompareState {
  runIds: string[];
  xAxis?: XAxis;
  smoothing?: number;
  logScale?: boolean;
  allParams?: boolean;
  metric?: string;
}

export interface CompareRun {
  id: string;
  name: string;
  status: RunStatus;
  experimentName: string;
  created: number;
  duration?: number;
}

/** A param's value in one run, as logged (JSON); null where the run lacks it. */
export type ParamValue = string | number | boolean | null | object;

export interface CompareData {
  /** In the order they were selected: a run's colour is its position here. */
  runs: CompareRun[];
  params: { key: string; values: ParamValue[]; differs: boolean }[];
  metrics: { key: string; values: (WireSummary | null)[] }[];
  /** Requested ids the store does not have (deleted, or never existed). */
  missing: string[];
}

/** One metric's lines, one per run that has it. */
export interface KeySeries {
  key: string;
  lines: WireSeries[];
}

export type ToCompare =
  /** The answer to `ready`: everything, with the series of the first metrics (the others load when scrolled to). */
  | { type: 'compare'; v: typeof COMPARE_PROTOCOL; data: CompareData; series: KeySeries[] }
  /** Live: the data again, and the loaded metrics' lines of the runs that gained points. */
  | { type: 'update'; v: typeof COMPARE_PROTOCOL; data: CompareData; series: KeySeries[] }
  /** Answer to `series` (first load, zoom, axis change). */
  | { type: 'series'; v: typeof COMPARE_PROTOCOL; seq: number; series: KeySeries }
  | { type: 'error'; message: string };

export type FromCompare =
  | { type: 'ready'; width: number; xAxis: XAxis }
  | { type: 'series'; seq: number; key: string; width: number; xAxis: XAxis; range?: [number, number] }
  | { type: 'openRun'; id: string }
  | { type: 'exportCsv'; key: string; xAxis: XAxis; range?: [number, number] }
  | { type: 'exportPng'; key: string; dataUrl: string };

export function parseFromCompare(raw: unknown): FromCompare {
  const type = messageType(raw, ['ready', 'series', 'openRun', 'exportCsv', 'exportPng'] as const);
  switch (type) {
    case 'ready':
      return { type, width: width(raw), xAxis: xAxis(raw) };
    case 'series': {
      const r = range(raw);
      return { type, seq: int(raw, 'seq'), key: str(raw, 'key', 1000), width: width(raw), xAxis: xAxis(raw), ...(r ? { range: r } : {}) };
    }
    case 'openRun':
      return { type, id: str(raw, 'id', 200) };
    case 'exportCsv': {
      const r = range(raw);
      return { type, key: str(raw, 'key', 1000), xAxis: xAxis(raw), ...(r ? { range: r } : {}) };
    }
    case 'exportPng':
      return { type, key: str(raw, 'key', 1000), dataUrl: pngDataUrl(raw) };
  }
}

export function isCompareState(x: unknown): x is CompareState {
  const ids = (x as CompareState | null)?.runIds;
  return Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === 'string');
}
