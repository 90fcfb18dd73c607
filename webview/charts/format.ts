/** How numbers, times and durations read on chart axes, tooltips and tables. */
import type { XAxis } from '../../src/store/query-types';

/** Exact, but without float noise beyond 12 significant digits. */
export function exact(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}

export function short(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

export function clock(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleTimeString(undefined, { hour12: false });
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (s < 60) return `${sign}${Number(s.toPrecision(3))} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min ${Math.round(s % 60)} s`;
  return `${sign}${Math.floor(m / 60)} h ${m % 60} min`;
}

export function xTick(v: number, axis: XAxis): string {
  return axis === 'step' ? short(v) : axis === 'time' ? clock(v) : duration(v);
}

/** A point's x for tooltips and the data table. */
export function xExact(v: number, axis: XAxis): string {
  return axis === 'step' ? exact(v) : axis === 'time' ? new Date(v * 1000).toISOString() : `${exact(v)} s`;
}

export const AXIS_LABELS: Record<XAxis, string> = { step: 'Step', time: 'Wall time', relative: 'Relative time' };
