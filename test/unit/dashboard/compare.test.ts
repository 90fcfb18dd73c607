import * as assert from 'node:assert/strict';
import { compareData, firstKeys } from '../../../src/runs/compare/compare-data';
import { parallelCoordinates } from '../../../src/runs/compare/parallel';
import { sortRows, summaryRows } from '../../../src/runs/compare/summary-table';
import { openStore, removeTempStores, RunWriter, tempStore } from '../store/helpers';

describe('comparison data from a real store', () => {
  after(removeTempStores);

  it('keeps the selection order, flags differing params, reports missing runs, and budgets the first payload', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'r-a', name: 'a' }).params({ lr: 0.1, seed: 1 }).metric('train/loss', [3, 2, 1]).metric('eval/acc', [0.5]).finish();
    new RunWriter(root, { id: 'r-b', name: 'b' }).params({ lr: 0.01, seed: 1 }).metric('train/loss', [4, 3]).finish();
    const store = await openStore(root);
    try {
      const data = compareData(store.compareRuns(['r-b', 'r-a', 'gone']), ['r-b', 'r-a', 'gone']);
      assert.deepEqual(data.runs.map((r) => r.name), ['b', 'a']);
      assert.deepEqual(data.missing, ['gone']);
      assert.deepEqual(data.params.map((p) => [p.key, p.values, p.differs]), [['lr', [0.01, 0.1], true], ['seed', [1, 1], false]]);
      const acc = data.metrics.find((m) => m.key === 'eval/acc')!;
      assert.equal(acc.values[0], null);
      assert.equal(acc.values[1]?.last, 0.5);
      // train/ comes before eval/; a budget of 2 lines fits train/loss (2 runs) only; at least one key always.
      assert.deepEqual(firstKeys(data, 2), ['train/loss']);
      assert.deepEqual(firstKeys(data, 3), ['train/loss', 'eval/acc']);
      assert.deepEqual(firstKeys(data, 0), ['train/loss']);
    } finally {
      await store.close();
    }
  });
});

describe('parallel coordinates', () => {
  it('scales numeric params linearly, spaces categorical ones, puts the metric last, and leaves gaps as null', () => {
    const pc = parallelCoordinates(
      ['r1', 'r2', 'r3'],
      [
        { key: 'lr', values: [0.1, 0.3, 0.2] },
        { key: 'opt', values: ['sgd', 'adam', null] },
        { key: 'empty', values: [null, null, null] },
      ],
      { key: 'acc', values: [0.5, null, 1] },
    );
    assert.deepEqual(pc.axes.map((a) => [a.key, a.kind]), [['lr', 'numeric'], ['opt', 'categorical'], ['acc', 'metric']]);
    assert.deepEqual(pc.axes[1].ticks, [{ at: 0, label: 'adam' }, { at: 1, label: 'sgd' }]);
    const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
    assert.deepEqual(pc.lines.map((l) => l.values.map(round)), [[0, 1, 0], [1, 0, null], [0.5, null, 1]]);
  });

  it('puts a constant axis in the middle', () => {
    const pc = parallelCoordinates(['a', 'b'], [{ key: 'x', values: [2, 2] }], undefined);
    assert.deepEqual(pc.lines.map((l) => l.values), [[0.5], [0.5]]);
  });
});

describe('summary table', () => {
  const runs = [{ id: 'a', name: 'run-10' }, { id: 'b', name: 'run-9' }, { id: 'c', name: 'run-11' }];
  const metrics = [{
    key: 'loss',
    values: [
      { key: 'loss', last: 0.3, min: 0.1, max: 1, count: 3, lastStep: 2 },
      { key: 'loss', last: 'NaN' as const, min: 0.2, max: 2, count: 3, lastStep: 2 },
      null,
    ],
  }];

  it('reads last, min or max per run, decoding NaN', () => {
    assert.deepEqual(summaryRows(runs, metrics, 'min').map((r) => r.values[0]), [0.1, 0.2, undefined]);
    assert.ok(Number.isNaN(summaryRows(runs, metrics, 'last')[1].values[0]));
  });

  it('sorts by a metric either way with missing values last, or by name in natural order', () => {
    const rows = summaryRows(runs, metrics, 'max');
    assert.deepEqual(sortRows(rows, 0, 'desc').map((r) => r.run), ['b', 'a', 'c']);
    assert.deepEqual(sortRows(rows, 0, 'asc').map((r) => r.run), ['a', 'b', 'c']);
    assert.deepEqual(sortRows(summaryRows(runs, metrics, 'last'), 0, 'asc').map((r) => r.run), ['a', 'b', 'c']);
    assert.deepEqual(sortRows(rows, -1, 'asc').map((r) => r.name), ['run-9', 'run-10', 'run-11']);
  });
});
