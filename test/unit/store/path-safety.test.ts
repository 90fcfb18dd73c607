import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inStore, isSafeRunId, storeLayout } from '../../../src/store/paths';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { appendLines, now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';

describe('path safety', () => {
  let root: string;
  let store: TrackingStore | undefined;
  beforeEach(() => (root = tempStore()));
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  after(removeTempStores);

  it('accepts only plain run ids', () => {
    for (const ok of ['20261121-205745-3fa9c2', 'run_1.b', 'A-b']) assert.ok(isSafeRunId(ok), ok);
    for (const bad of ['..', '.', '../x', 'a/b', 'a\\b', '', '.hidden', 'a..b', 'x'.repeat(200), 'nul\0']) assert.ok(!isSafeRunId(bad), bad);
    assert.throws(() => inStore(storeLayout(root), '../outside'), /escapes/);
  });

  it('never reads or writes outside the store for hostile run ids and keys', async () => {
    const outside = path.join(path.dirname(root), 'outside');
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'secret.step'), 'x');
    new RunWriter(root, { id: 'r1' }).metric('../../../outside/secret', [1]);
    // An edit naming a run id that is a path must not become one.
    appendLines(path.join(root, 'edits.jsonl'), [{ v: 1, t: 'run.renamed', ts: now(), run: '../../outside', name: 'x' }]);
    store = await openStore(root);
    assert.deepEqual(store.getSeries('r1', '../../../outside/secret')?.y, [1]);
    assert.equal(store.getSeries('../outside', 'secret'), undefined);
    assert.equal(store.getRun('../../outside'), undefined);
    assert.deepEqual(store.getLogs('../x').logs, []);
    await assert.rejects(store.renameRun('../../outside', 'y'), /no run/);
    assert.deepEqual(fs.readdirSync(outside), ['secret.step']);
    assert.equal(fs.readFileSync(path.join(outside, 'secret.step'), 'utf8'), 'x');
    assert.deepEqual(store.listRuns().runs.map((r) => r.id), ['r1']);
  });

  it('ignores and reports run directories whose names are not run ids', async () => {
    fs.mkdirSync(path.join(root, 'runs', '.hidden'), { recursive: true });
    fs.mkdirSync(path.join(root, 'runs', 'has space'), { recursive: true });
    store = await openStore(root);
    assert.deepEqual(store.problems().map((p) => p.file).sort(), ['runs/.hidden', 'runs/has space']);
    assert.equal(store.listRuns().total, 0);
  });
});
