import type { Database } from 'sql.js';
import { downsampleIndices } from './downsample';
import type { StoreLayout } from './paths';
import type { SeriesOptions, SeriesView } from './query-types';
import { readSeries } from './series';
import { num, one } from './sql';
import { runVisible } from './visible-runs';

const DEFAULT_SERIES_WIDTH = 1000;

/** A metric series read from the columnar cache and downsampled for a chart of `width` buckets. */
export function querySeries(db: Database, layout: StoreLayout, run: string, key: string, opts: SeriesOptions = {}): SeriesView | undefined {
  if (!runVisible(db, run)) return undefined;
  const row = one(db, 'SELECT s.count, r.created FROM metric_summaries s JOIN runs r ON r.id = s.run WHERE s.run = ? AND s.key = ?', [run, key]);
  if (!row) return undefined;
  const cols = readSeries(layout, run, key, Number(row.count));
  const xAxis = opts.xAxis ?? 'step';
  const x = xAxis === 'step' ? cols.step : xAxis === 'time' ? cols.time : relative(cols.time, num(row.created) ?? cols.time[0] ?? 0);
  const picked = downsampleIndices(x, cols.value, opts.width ?? DEFAULT_SERIES_WIDTH, opts.range);
  return {
    run,
    key,
    xAxis,
    total: cols.step.length,
    x: picked.map((i) => x[i]),
    y: picked.map((i) => cols.value[i]),
    step: picked.map((i) => cols.step[i]),
    time: picked.map((i) => cols.time[i]),
  };
}

function relative(time: Float64Array, t0: number): Float64Array {
  const out = new Float64Array(time.length);
  for (let i = 0; i < time.length; i++) out[i] = time[i] - t0;
  return out;
}
