/**
 * Metric series as they cross into a webview. postMessage serialises to JSON on the way (remote and
 * web hosts), where NaN and ±Infinity would silently become null: non-finite values travel as strings.
 * No `vscode` and no DOM here: the host, the webviews and the unit tests share it.
 */
import type { MetricSummary, SeriesView, XAxis } from '../../store/query-types';

export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface WireSeries {
  run: string;
  key: string;
  xAxis: XAxis;
  /** Points in the whole series (what the store holds), not only those sent. */
  total: number;
  /** The zoomed x range these points were picked for; absent: the whole series. */
  range?: [number, number];
  x: number[];
  y: WireNumber[];
  /** Absent when the x axis is the step (it would repeat x). */
  step?: number[];
}

export interface WireSummary {
  key: string;
  last: WireNumber;
  min?: number;
  max?: number;
  count: number;
  lastStep: number;
}

export const X_AXES: readonly XAxis[] = ['step', 'time', 'relative'];

/**
 * Buckets to ask the store for a chart `width` CSS pixels wide: M4 keeps up to 4 points per bucket,
 * so width/2 buckets send at most 2 points per pixel.
 */
export function bucketsFor(width: number): number {
  return Math.max(1, Math.floor(width / 2));
}

export function encodeNumber(v: number): WireNumber {
  return Number.isFinite(v) ? v : (String(v) as WireNumber);
}

/** Inverse of encodeNumber; anything else (null from an old host, junk) reads as NaN. */
export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  return v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN;
}

export function toWire(view: SeriesView, range?: readonly [number, number]): WireSeries {
  let finite = true;
  for (const v of view.y) if (!Number.isFinite(v)) finite = false;
  return {
    run: view.run,
    key: view.key,
    xAxis: view.xAxis,
    total: view.total,
    ...(range ? { range: [range[0], range[1]] as [number, number] } : {}),
    x: view.x,
    y: finite ? view.y : view.y.map(encodeNumber),
    ...(view.xAxis === 'step' ? {} : { step: view.step }),
  };
}

export function summaryToWire(m: MetricSummary): WireSummary {
  return { key: m.key, last: encodeNumber(m.last), min: m.min, max: m.max, count: m.count, lastStep: m.lastStep };
}

/** The steps of a wire series' points. */
export function stepsOf(s: Pick<WireSeries, 'x' | 'step'>): number[] {
  return s.step ?? s.x;
}

/** The y values of a wire series as numbers again. */
export function decodeY(s: Pick<WireSeries, 'y'>): number[] {
  return s.y.map(decodeNumber);
}
