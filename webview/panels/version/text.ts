/** How the version panel writes sizes, times and numbers. */
import type { ModelStage } from '../../../src/store/records';

export const STAGES: Record<ModelStage, string> = { none: 'None', staging: 'Staging', production: 'Production', archived: 'Archived' };

export function bytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  return n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function when(epochSeconds: number | undefined): string {
  return epochSeconds === undefined ? '—' : new Date(epochSeconds * 1000).toLocaleString(undefined, { hour12: false });
}

export function value(v: number | null | undefined): string {
  if (v === undefined) return '';
  if (v === null) return '—';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

export function delta(v: number | null | undefined): string {
  if (v === undefined || v === null) return '';
  if (v === 0) return '±0';
  return `${v > 0 ? '+' : '−'}${value(Math.abs(v))}`;
}

/** Whether a change of `key` by `d` is an improvement: lower is better for losses and errors. */
export function improves(key: string, d: number | null | undefined): boolean | undefined {
  if (d === undefined || d === null || d === 0) return undefined;
  const lowerIsBetter = /loss|err|mse|mae|mape|perplexity|time|latency/i.test(key);
  return lowerIsBetter ? d < 0 : d > 0;
}
