import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { ChangeProbe } from '../../../src/store/change-probe';
import { storeLayout } from '../../../src/store/paths';
import { openStore, removeTempStores, RunWriter, tempStore } from './helpers';

/** The probe polled every second in place of (unreliable) recursive file watching. */
describe('change probe', () => {
  after(removeTempStores);

  // Directory mtimes have coarse resolution on some file systems; step past it between changes.
  const tick = () => new Promise((r) => setTimeout(r, 20));

  it('sees new runs, appends to running runs and store-level edits; is quiet otherwise', async () => {
    const root = tempStore();
    fs.mkdirSync(path.join(root, 'runs'), { recursive: true });
    const store = await openStore(root);
    const other = await openStore(root); // a second window on the same store
    try {
      assert.equal(store.hasChanges(), false, 'nothing happened yet');
      await tick();
      const run = new RunWriter(root, { id: 'r1' });
      assert.equal(store.hasChanges(), true, 'a new run directory');
      await store.refresh();
      assert.equal(store.hasChanges(), false, 'quiet after the pass');

      run.metric('loss', [1, 0.5]);
      assert.equal(store.hasChanges(), true, 'a running run grew');
      await store.refresh();
      assert.equal(store.hasChanges(), false);

      run.raw('{"v":1,"t":"log","ts":1,"level":"info","ms'); // a torn last line: the writer is mid-write
      assert.equal(store.hasChanges(), true);
      await store.refresh();
      assert.equal(store.hasChanges(), false, 'a torn line does not ask for a pass every second');

      await other.refresh();
      await other.renameRun('r1', 'renamed elsewhere');
      assert.equal(store.hasChanges(), true, 'the other window appended an edit');
      await store.refresh();
      assert.equal(store.getRun('r1')?.name, 'renamed elsewhere');
      assert.equal(store.hasChanges(), false);
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('notices a run.json that appears after its directory, and stays quiet about an unreadable one', async () => {
    const root = tempStore();
    const store = await openStore(root);
    try {
      const dir = path.join(root, 'runs', 'r2');
      fs.mkdirSync(dir, { recursive: true });
      assert.equal(store.hasChanges(), true);
      await store.refresh();
      assert.equal(store.listRuns().total, 0, 'no run.json yet');
      assert.equal(store.hasChanges(), false);

      fs.writeFileSync(path.join(dir, 'run.json'), '{ not json');
      assert.equal(store.hasChanges(), true, 'run.json appeared');
      const result = await store.refresh();
      assert.equal(result.problems.length, 1);
      assert.equal(store.hasChanges(), false, 'an unreadable run.json is reported once, not every second');
    } finally {
      await store.close();
    }
  });
});

describe('change probe and the passes a store makes on its own', () => {
  after(removeTempStores);

  // The index save (and every edit) re-reads the journals first. What such a pass ingests must still be
  // reported: the views learn of changes only from refresh(), and the probe is primed by every pass.
  it('reports what a save or an edit ingested at the next refresh', async () => {
    const root = tempStore();
    const store = await openStore(root);
    try {
      const run = new RunWriter(root, { id: 'r1' });
      await store.refresh();
      assert.equal(store.getRun('r1')?.status, 'running');

      run.finish();
      await store.saveNow(); // the save's pass ingests the end of the run
      assert.equal(store.getRun('r1')?.status, 'completed');
      assert.equal(store.hasChanges(), true, 'the save ingested a change nobody was told about');
      const result = await store.refresh();
      assert.deepEqual(result.runs, ['r1']);
      assert.equal(store.hasChanges(), false, 'reported once');

      new RunWriter(root, { id: 'r2' }).finish();
      await store.renameRun('r1', 'renamed'); // the edit's pass ingests r2 too
      assert.equal(store.hasChanges(), true);
      assert.deepEqual((await store.refresh()).runs.sort(), ['r1', 'r2']);
      assert.equal(store.hasChanges(), false);

    } finally {
      await store.close();
    }
  });

  it('reports a rebuild a save made, even one that ingested nothing', async () => {
    const root = tempStore();
    const store = await openStore(root);
    try {
      new RunWriter(root, { id: 'r1' }).finish();
      await store.refresh();
      fs.rmSync(path.join(root, 'runs', 'r1'), { recursive: true }); // another window deleted it
      await store.saveNow(); // the save's pass finds the journal gone and rebuilds
      assert.equal(store.listRuns().total, 0);
      assert.equal(store.hasChanges(), true, 'the views must hear that the run is gone');
      assert.match((await store.refresh()).rebuilt ?? '', /is gone/);
    } finally {
      await store.close();
    }
  });
});

describe('change probe after a failed pass', () => {
  after(removeTempStores);

  it('asks again after a pass that threw, so nothing it saw is lost', async () => {
    const root = tempStore();
    const store = await openStore(root);
    try {
      new RunWriter(root, { id: 'r1' }).finish();
      // Make the next pass fail: the runs directory becomes unreadable as a directory listing.
      const runs = path.join(root, 'runs');
      fs.renameSync(runs, `${runs}.bak`);
      fs.writeFileSync(runs, 'not a directory');
      await assert.rejects(store.refresh());
      fs.rmSync(runs);
      fs.renameSync(`${runs}.bak`, runs);
      assert.equal(store.hasChanges(), true, 'the failed pass did not count as seen');
      await store.refresh();
      assert.equal(store.listRuns().total, 1);
    } finally {
      await store.close().catch(() => undefined);
    }
  });

  it('invalidate() makes the next check say "changed" even when no file changed', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'r1' });
    const store = await openStore(root);
    try {
      const probe = new ChangeProbe(storeLayout(root));
      probe.prime((store as unknown as { db: Database }).db);
      assert.equal(probe.check(), false);
      probe.invalidate();
      assert.equal(probe.check(), true);
    } finally {
      await store.close();
    }
  });
});
