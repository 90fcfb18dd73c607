import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';

describe('run facets: script filter, metric keys, tags, metric values for a page', () => {
  let store: TrackingStore;
  const t0 = now() - 1000;

  before(async () => {
    const root = tempStore();
    const write = (id: string, script: string | undefined, i: number) => {
      const run = new RunWriter(root, { id, created: t0 + i, tags: i === 0 ? ['cnn'] : undefined });
      if (script === undefined) delete run.manifest.script;
      else run.manifest.script = { path: script };
      fs.writeFileSync(`${run.dir}/run.json`, JSON.stringify(run.manifest));
      return run;
    };
    write('a', '/ws/train.py', 0).metric('val/loss', [0.9, 0.5]).metric('train/loss', [1, 0.7]).finish();
    write('b', '/ws/other/train.py', 1).metric('eval/acc', [0.5, 'NaN']).finish();
    write('c', '/ws/train.py', 2).metric('val/loss', [0.8, 0.4]).finish();
    write('d', undefined, 3).metric('zzz', [1]).finish();
    store = await openStore(root);
    await store.setRunTags('c', ['gpu', 'keep']);
    await store.deleteRun('d');
  });
  after(async () => {
    await store.close();
    removeTempStores();
  });

  it("filters runs by their script's absolute path, alone or with other filters", () => {
    assert.deepEqual(store.listRuns({ script: '/ws/train.py' }).runs.map((r) => r.id), ['c', 'a']);
    assert.deepEqual(store.listRuns({ script: '/ws/other/train.py' }).runs.map((r) => r.id), ['b']);
    assert.equal(store.listRuns({ script: 'train.py' }).total, 0);
    assert.deepEqual(store.listRuns({ script: '/ws/train.py', tag: 'gpu' }).runs.map((r) => r.id), ['c']);
  });

  it('lists the metric keys and tags of visible runs only (a deleted run does not count)', () => {
    assert.deepEqual(store.metricKeys(), ['eval/acc', 'train/loss', 'val/loss']);
    assert.deepEqual(store.runTagNames(), ['cnn', 'gpu', 'keep']);
  });

  it("returns one metric's last value for a page of runs; NaN stays NaN, runs without it are left out", () => {
    const loss = store.lastMetricValues(['a', 'b', 'c', 'ghost'], 'val/loss');
    assert.deepEqual([...loss.entries()].sort(), [['a', 0.5], ['c', 0.4]]);
    assert.ok(Number.isNaN(store.lastMetricValues(['b'], 'eval/acc').get('b')));
    assert.equal(store.lastMetricValues([], 'val/loss').size, 0);
  });
});
