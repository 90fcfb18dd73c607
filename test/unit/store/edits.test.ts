import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { until } from '../../shared/until';
import { now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';
import { snapshot } from './snapshot';

describe('edits', () => {
  let root: string;
  const stores: TrackingStore[] = [];
  const open = async () => {
    const s = await openStore(root);
    stores.push(s);
    return s;
  };
  /** Closes the store, deletes the index and opens again: only the journals remain. */
  const rebuilt = async (store: TrackingStore) => {
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    fs.rmSync(path.join(root, 'index.sqlite'));
    const again = await open();
    assert.ok(again.opened.rebuilt);
    return again;
  };
  beforeEach(() => (root = tempStore()));
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  after(removeTempStores);

  it('go to the journals first and survive a rebuild', async () => {
    new RunWriter(root, { id: 'r1', experiment: 'exp', tags: ['from-sdk'] }).finish();
    new RunWriter(root, { id: 'r2', experiment: 'exp' }).metric('loss', [1]).log('info', 'hi').finish();
    const store = await open();
    const created = await store.createExperiment(' team / new exp ', 'about');
    assert.equal(created, 'team/new exp');
    await store.renameExperiment('exp', 'Renamed');
    await store.describeExperiment('exp', 'described');
    await store.setExperimentStatus('exp', 'completed');
    await store.renameRun('r1', 'nice name');
    await store.setRunNotes('r1', 'some notes');
    await store.setRunTags('r1', ['a', 'b', 'a']);
    await store.deleteRun('r2');
    const edits = fs.readFileSync(path.join(root, 'edits.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(edits.map((e) => e.t), ['run.renamed', 'run.notes', 'run.tags', 'run.deleted']);
    const check = (s: TrackingStore) => {
      const exps = s.listExperiments();
      assert.deepEqual(exps.map((e) => [e.id, e.name, e.description, e.status, e.runCount]).sort(), [
        ['exp', 'Renamed', 'described', 'completed', 1],
        ['team/new exp', 'new exp', 'about', 'active', 0],
      ]);
      const r1 = s.getRun('r1');
      assert.deepEqual([r1?.name, r1?.notes, r1?.tags], ['nice name', 'some notes', ['a', 'b']]);
      assert.equal(s.getRun('r2'), undefined);
      assert.equal(s.getLogs('r2').total, 0);
      assert.equal(s.getSeries('r2', 'loss'), undefined);
      assert.deepEqual(s.listRuns().runs.map((r) => r.id), ['r1']);
    };
    check(store);
    const before = snapshot(store);
    const again = await rebuilt(store);
    check(again);
    assert.deepEqual(snapshot(again), before);
  });

  it('deleting an experiment takes its runs along, also after a rebuild; new runs revive the name', async () => {
    new RunWriter(root, { id: 'old1', experiment: 'doomed', created: now() - 10 }).finish();
    new RunWriter(root, { id: 'old2', experiment: 'doomed', created: now() - 5 }).finish();
    new RunWriter(root, { id: 'other', experiment: 'kept' }).finish();
    const store = await open();
    await store.deleteExperiment('doomed');
    const check = (s: TrackingStore) => {
      assert.deepEqual(s.listExperiments().map((e) => e.id), ['kept']);
      assert.deepEqual(s.listRuns().runs.map((r) => r.id), ['other']);
      assert.equal(s.getRun('old1'), undefined);
      assert.equal(s.compareRuns(['old1', 'other']).runs.length, 1);
    };
    check(store);
    const again = await rebuilt(store);
    check(again);
    new RunWriter(root, { id: 'new1', experiment: 'doomed', created: now() + 1 }).finish();
    await again.refresh();
    const doomed = again.listExperiments().find((e) => e.id === 'doomed');
    assert.equal(doomed?.runCount, 1);
    assert.deepEqual(again.listRuns({ experiment: 'doomed' }).runs.map((r) => r.id), ['new1']);
  });

  it('re-creating a deleted experiment brings back the name, not the runs', async () => {
    new RunWriter(root, { id: 'r1', experiment: 'e', created: now() - 10 }).finish();
    const store = await open();
    await store.deleteExperiment('e');
    await assert.rejects(store.renameExperiment('e', 'x'), /no experiment/);
    const deleted = now();
    await until(() => now() > deleted, 'the clock to pass the deletion'); // created later than deleted, as a person does
    await store.createExperiment('e');
    assert.deepEqual(store.listExperiments().map((e) => [e.id, e.runCount]), [['e', 0]]);
    await assert.rejects(store.createExperiment('e'), /already exists/);
  });

  it('archived experiments are listed only on request', async () => {
    new RunWriter(root, { id: 'r1', experiment: 'a' }).finish();
    new RunWriter(root, { id: 'r2', experiment: 'b' }).finish();
    const store = await open();
    await store.setExperimentStatus('a', 'archived');
    assert.deepEqual(store.listExperiments().map((e) => e.id), ['b']);
    assert.deepEqual(store.listExperiments({ includeArchived: true }).map((e) => e.id).sort(), ['a', 'b']);
  });

  it('refuses edits of unknown runs and empty names, writing nothing', async () => {
    new RunWriter(root, { id: 'r1' }).finish();
    const store = await open();
    await assert.rejects(store.renameRun('nope', 'x'), /no run/);
    await assert.rejects(store.renameRun('r1', '  '), /empty/);
    await assert.rejects(store.createExperiment(' / '), /needs a name/);
    assert.ok(!fs.existsSync(path.join(root, 'edits.jsonl')));
  });

  it('two stores on one directory editing at once lose nothing', async () => {
    for (let i = 0; i < 6; i++) new RunWriter(root, { id: `r${i}`, experiment: 'shared' }).finish();
    const a = await open();
    const b = await open();
    await Promise.all([
      a.renameRun('r0', 'from A'),
      b.renameRun('r1', 'from B'),
      a.setRunNotes('r2', 'A notes'),
      b.setRunTags('r3', ['b-tag']),
      a.createExperiment('made by A'),
      b.createExperiment('made by B'),
      a.deleteRun('r4'),
      b.renameExperiment('shared', 'Shared!'),
    ]);
    await a.saveNow();
    await b.saveNow(); // the last save wins the file: it must hold A's edits too
    new RunWriter(root, { id: 'r6', experiment: 'shared' }).finish();
    await Promise.all([a.refresh(), b.refresh()]);
    assert.deepEqual(snapshot(a), snapshot(b));
    for (const s of stores.splice(0)) await s.close();
    const c = await open();
    assert.equal(c.opened.rebuilt, undefined);
    const check = (s: TrackingStore) => {
      assert.equal(s.getRun('r0')?.name, 'from A');
      assert.equal(s.getRun('r1')?.name, 'from B');
      assert.equal(s.getRun('r2')?.notes, 'A notes');
      assert.deepEqual(s.getRun('r3')?.tags, ['b-tag']);
      assert.equal(s.getRun('r4'), undefined);
      assert.ok(s.getRun('r6'));
      assert.deepEqual(s.listExperiments().map((e) => e.name).sort(), ['Shared!', 'made by A', 'made by B']);
    };
    check(c);
    check(await rebuilt(c));
  });

  it('appends whole lines even after a torn line left by a crashed writer', async () => {
    new RunWriter(root, { id: 'r1' }).finish();
    fs.writeFileSync(path.join(root, 'edits.jsonl'), '{"v":1,"t":"run.notes","run":"r1","no');
    const store = await open();
    await store.renameRun('r1', 'after crash');
    assert.equal(store.getRun('r1')?.name, 'after crash');
    assert.equal(store.problems().length, 1);
  });
});
