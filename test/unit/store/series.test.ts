import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downsampleIndices } from '../../../src/store/downsample';
import { storeLayout } from '../../../src/store/paths';
import { readSeries, SeriesWriter } from '../../../src/store/series';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { openStore, removeTempStores, RunWriter, tempStore } from './helpers';

function noisy(n: number): Float64Array {
  const y = new Float64Array(n);
  let seed = 42;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    y[i] = Math.sin(i / 5000) + (seed / 2 ** 31) * 0.1;
  }
  return y;
}

function bucketCounts(x: number[], lo: number, hi: number, width: number): number[] {
  const counts = new Array<number>(width).fill(0);
  for (const v of x) counts[Math.min(width - 1, Math.floor(((v - lo) / (hi - lo)) * width))]++;
  return counts;
}

describe('downsampling', () => {
  const n = 1_000_000;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = noisy(n);
  y[654_321] = 1e6;
  y[123_457] = -1e6;

  it('keeps a single spike in 1M points at width 200, at most 4 points per bucket, in x order', () => {
    const picked = downsampleIndices(x, y, 200);
    assert.ok(picked.includes(654_321) && picked.includes(123_457));
    assert.ok(picked.length <= 800);
    assert.ok(Math.max(...bucketCounts(picked.map((i) => x[i]), 0, n - 1, 200)) <= 4);
    for (let k = 1; k < picked.length; k++) assert.ok(x[picked[k]] > x[picked[k - 1]]);
    assert.equal(picked[0], 0);
    assert.equal(picked[picked.length - 1], n - 1);
  });

  it('re-buckets a zoomed range and keeps everything when few points are in it', () => {
    const zoomed = downsampleIndices(x, y, 100, [654_000, 655_000]);
    assert.ok(zoomed.includes(654_321));
    assert.ok(zoomed.every((i) => x[i] >= 654_000 && x[i] <= 655_000));
    assert.ok(zoomed.length <= 400);
    const all = downsampleIndices(x, y, 1000, [10, 20]);
    assert.deepEqual(all, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    assert.deepEqual(downsampleIndices(x, y, 100, [2e6, 3e6]), []);
  });

  it('keeps a non-finite value of a bucket and ignores it for min/max', () => {
    const ys = Float64Array.from({ length: 1000 }, (_, i) => i);
    ys[500] = NaN;
    ys[501] = Infinity;
    const xs = Float64Array.from({ length: 1000 }, (_, i) => i);
    const picked = downsampleIndices(xs, ys, 10);
    assert.ok(picked.includes(500));
    const bucket5 = picked.filter((i) => i >= 500 && i < 600);
    assert.deepEqual(bucket5, [500, 502, 599], 'first non-finite, finite min (502) and max/last (599)');
  });

  it('handles a constant x and non-monotonic x', () => {
    assert.deepEqual(downsampleIndices([5, 5, 5], [1, 2, 3], 10), [0, 1, 2]);
    const picked = downsampleIndices([3, 1, 2, 0, 4, 5, 6, 7, 8, 9, 10, 11], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2);
    const xs = picked.map((i) => [3, 1, 2, 0, 4, 5, 6, 7, 8, 9, 10, 11][i]);
    assert.deepEqual(xs, [...xs].sort((a, b) => a - b));
  });
});

describe('series cache', () => {
  let root: string;
  let store: TrackingStore | undefined;
  beforeEach(() => (root = tempStore()));
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  after(removeTempStores);

  it('writes positionally: writing the same points twice (two windows) changes nothing', () => {
    const layout = storeLayout(root);
    const cols = (a: number[]) => ({ step: Float64Array.from(a), value: Float64Array.from(a, (v) => v * 2), time: Float64Array.from(a, (v) => v + 0.5) });
    for (let pass = 0; pass < 2; pass++) {
      const w = new SeriesWriter(layout);
      w.append('r1', 'loss', 0, cols([0, 1]));
      w.append('r1', 'loss', 2, cols([2]));
      w.flush();
    }
    const s = readSeries(layout, 'r1', 'loss', 3);
    assert.deepEqual([...s.step, ...s.value, ...s.time], [0, 1, 2, 0, 2, 4, 0.5, 1.5, 2.5]);
    assert.equal(readSeries(layout, 'r1', 'loss', 2).step.length, 2, 'points past the index count are not read');
  });

  it('serves x by step, wall time and relative time, with zoom ranges', async () => {
    const run = new RunWriter(root, { id: 'r1', created: 1000 });
    run.metric('train/loss', Array.from({ length: 5000 }, (_, i) => 5000 - i), { t0: 1010 }); // time = 1010 + step/100
    store = await openStore(root, { staleAfterMs: Number.MAX_SAFE_INTEGER });
    const byStep = store.getSeries('r1', 'train/loss', { width: 100 });
    assert.ok(byStep);
    assert.equal(byStep.total, 5000);
    assert.ok(byStep.x.length <= 400);
    assert.deepEqual([byStep.x[0], byStep.y[0]], [0, 5000]);
    const byTime = store.getSeries('r1', 'train/loss', { xAxis: 'time', width: 10_000, range: [1020, 1020.05] });
    assert.deepEqual(byTime?.step, [1000, 1001, 1002, 1003, 1004, 1005]);
    const relative = store.getSeries('r1', 'train/loss', { xAxis: 'relative', width: 10_000, range: [10, 10.02] });
    assert.deepEqual(relative?.step, [0, 1, 2]);
    assert.deepEqual(relative?.x.map((v) => Math.round(v * 100) / 100), [10, 10.01, 10.02]);
    assert.equal(store.getSeries('r1', 'nope'), undefined);
  });

  it('keeps metric keys apart that differ only in case or hide a path', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    run.metric('Loss', [1]).metric('loss', [2]).metric('../../../escape', [3]).metric('a/b:c*?"<>|', [4]);
    store = await openStore(root);
    assert.deepEqual(store.getSeries('r1', 'Loss')?.y, [1]);
    assert.deepEqual(store.getSeries('r1', 'loss')?.y, [2]);
    assert.deepEqual(store.getSeries('r1', '../../../escape')?.y, [3]);
    assert.deepEqual(store.getSeries('r1', 'a/b:c*?"<>|')?.y, [4]);
    const files = fs.readdirSync(path.join(root, 'index.series', 'r1'));
    assert.equal(files.length, 12);
    assert.ok(files.every((f) => /^[a-z0-9_-]+\.(step|value|time)$/.test(f)));
    assert.deepEqual(fs.readdirSync(path.dirname(root)).sort(), ['.mlwb']);
  });
});
