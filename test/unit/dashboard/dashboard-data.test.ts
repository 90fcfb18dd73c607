import * as assert from 'node:assert/strict';
import { bucketsFor, toWire } from '../../../src/runs/charts/series-wire';
import { changedKeys, dashboardData, fingerprints } from '../../../src/runs/dashboard/dashboard-data';
import { openStore, removeTempStores, RunWriter, tempStore } from '../store/helpers';

describe('run dashboard data from a real store', () => {
  after(removeTempStores);

  it('carries the header, params as text, metric summaries and files', async () => {
    const root = tempStore();
    const w = new RunWriter(root, { id: 'run-1', name: 'baseline', experiment: 'mnist/cnn', tags: ['cnn'] })
      .params({ lr: 0.001, 'model.layers': 4, opt: 'adam', grid: [1, 2] })
      .metric('train/loss', [1, 0.5, NaN])
      .events({ t: 'file', op: 'save', id: 'f1', path: 'models/model.pt', size: 10 });
    w.finish();
    const store = await openStore(root);
    try {
      const d = dashboardData(store.getRun('run-1')!);
      assert.equal(d.run.name, 'baseline');
      assert.equal(d.run.experimentName, 'cnn');
      assert.equal(d.run.script, 'train.py');
      assert.deepEqual(d.run.git, { commit: 'deadbeef', branch: 'main', dirty: false });
      assert.deepEqual(d.run.interpreter, { executable: '/usr/bin/python3', version: '3.11.2' });
      assert.deepEqual(d.run.tags, ['cnn']);
      assert.deepEqual(d.params, [
        { key: 'grid', value: '[1,2]' },
        { key: 'lr', value: '0.001' },
        { key: 'model.layers', value: '4' },
        { key: 'opt', value: 'adam' },
      ]);
      assert.deepEqual(JSON.parse(JSON.stringify(d.metrics)), [{ key: 'train/loss', last: 'NaN', min: 0.5, max: 1, count: 3, lastStep: 2 }]);
      assert.deepEqual(d.files.map((f) => f.path), ['models/model.pt']);
    } finally {
      await store.close();
    }
  });

  it('marks a notebook run and lets its executed notebook be compared with the source, and no other file', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'nb-1', script: '/work/analysis.ipynb' })
      .events({ t: 'file', op: 'save', id: 'f1', path: 'notebook/executed.ipynb', size: 10 }, { t: 'file', op: 'save', id: 'f2', path: 'model.pkl', size: 3 })
      .finish();
    new RunWriter(root, { id: 'py-1' }).events({ t: 'file', op: 'save', id: 'f3', path: 'notebook/executed.ipynb', size: 10 }).finish();
    const store = await openStore(root);
    try {
      const d = dashboardData(store.getRun('nb-1')!);
      assert.deepEqual(d.files.map((f) => [f.path, f.compare ?? false]), [['model.pkl', false], ['notebook/executed.ipynb', true]]);
      assert.equal(dashboardData(store.getRun('py-1')!).files[0].compare, undefined, 'a script run that saved such a file has no source notebook');
      const summaries = Object.fromEntries(store.listRuns().runs.map((r) => [r.id, r.notebook ?? false]));
      assert.deepEqual(summaries, { 'nb-1': true, 'py-1': false });
    } finally {
      await store.close();
    }
  });

  it('finds the metrics that gained points between two passes (what a live update re-sends)', async () => {
    const root = tempStore();
    const w = new RunWriter(root, { id: 'run-2' }).metric('a', [1, 2]).metric('b', [1]);
    const store = await openStore(root);
    try {
      const before = fingerprints(store.getRun('run-2')!.metrics);
      w.metric('a', [3], { firstStep: 2 }).metric('c', [1]);
      await store.refresh();
      assert.deepEqual(changedKeys(before, store.getRun('run-2')!.metrics), ['a', 'c']);
    } finally {
      await store.close();
    }
  });

  it('re-downsamples a zoomed range at full fidelity: ≤ 2 points per pixel, spikes inside it kept', async () => {
    const root = tempStore();
    const values = Array.from({ length: 100_000 }, (_, i) => (i === 61_234 ? 1e6 : Math.sin(i / 100)));
    new RunWriter(root, { id: 'run-3' }).metric('train/loss', values, { batch: 10_000 }).finish();
    const store = await openStore(root);
    try {
      const width = 300;
      const full = toWire(store.getSeries('run-3', 'train/loss', { width: bucketsFor(width) })!);
      assert.ok(full.x.length <= 2 * width, `${full.x.length} points for ${width} px`);
      assert.equal(full.total, 100_000);
      assert.ok(full.y.includes(1e6), 'the spike survives the full view');
      const range: [number, number] = [60_000, 62_000];
      const zoomed = toWire(store.getSeries('run-3', 'train/loss', { width: bucketsFor(width), range })!, range);
      assert.ok(zoomed.x.length <= 2 * width);
      assert.ok(zoomed.x.every((x) => x >= 60_000 && x <= 62_000));
      assert.ok(zoomed.y.includes(1e6), 'the spike survives the zoomed view');
      // Zoomed in enough, every raw point comes back.
      const close = store.getSeries('run-3', 'train/loss', { width: bucketsFor(width), range: [61_200, 61_300] })!;
      assert.deepEqual(close.step, Array.from({ length: 101 }, (_, i) => 61_200 + i));
    } finally {
      await store.close();
    }
  });
});
