import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openStore, removeTempStores, RunWriter, tempStore } from './helpers';
import { snapshot } from './snapshot';

/** The runner starts a run for an unmodified script; the script's own Experiment claims it. */
describe('claimed runs', () => {
  after(removeTempStores);

  it('moves the run to the claiming experiment, drops the implied one, and survives a rebuild', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'r1', experiment: 'train' })
      .events({ t: 'claimed', experiment: { id: 'iris/rf', name: 'rf', project: 'iris' }, name: 'rf-1' })
      .finish();
    new RunWriter(root, { id: 'r2', experiment: 'kept' }).events({ t: 'claimed', experiment: { id: 'iris/rf', name: 'rf' } }).finish();
    new RunWriter(root, { id: 'r3', experiment: 'kept' }).finish();
    const store = await openStore(root);
    try {
      assert.deepEqual(store.listExperiments().map((e) => [e.id, e.runCount]).sort(), [['iris/rf', 2], ['kept', 1]]);
      assert.equal(store.getRun('r1')?.name, 'rf-1');
      assert.equal(store.getRun('r2')?.experimentName, 'rf');
      const before = snapshot(store);
      await store.saveNow();
      fs.rmSync(path.join(root, 'index.sqlite'));
      const rebuilt = await openStore(root);
      assert.deepEqual(snapshot(rebuilt), before);
      await rebuilt.close();
    } finally {
      await store.close();
    }
  });

  it('reports a claim without an experiment and keeps the run where it was', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'r1', experiment: 'train' }).events({ t: 'claimed', experiment: 'nope' }).finish();
    const store = await openStore(root);
    try {
      assert.equal(store.getRun('r1')?.experiment, 'train');
      assert.match(JSON.stringify(store.opened.problems), /claimed without experiment/);
    } finally {
      await store.close();
    }
  });
});
