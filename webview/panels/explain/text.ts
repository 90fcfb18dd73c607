import { short } from '../../charts/format';
import type { FeatureColumn } from '../../../src/explain/contract';

/** A feature's value as it reads in labels and tables (categories by name). */
export function featureValue(f: FeatureColumn, row: number): string {
  const v = f.values[row];
  if (v === null || v === undefined) return 'missing';
  return f.categories ? f.categories[v] ?? String(v) : short(v);
}

export const fixed = (v: number | undefined, digits = 4): string => (v === undefined ? '' : Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v));
