import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openStore, removeTempStores, RunWriter, tempStore } from './helpers';
import { snapshot } from './snapshot';

/** run.json's `parent` (MLflow nested runs) and `tags` records (tags a script sets while it runs). */
describe('nested runs and script tags', () => {
  after(removeTempStores);

  it('links nested runs to their parent and shows script tags as key or key=value, surviving a rebuild', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'p1', name: 'sweep', tags: ['manifest'] })
      .events({ t: 'tags', tags: { team: 'tabular', mlp: '', gone: 'x' } }, { t: 'tags', tags: { team: 'nlp', gone: null } })
      .finish();
    new RunWriter(root, { id: 'c1', name: 'rf-5', parent: 'p1', created: 100 }).finish();
    new RunWriter(root, { id: 'c2', name: 'rf-20', parent: 'p1', created: 200 }).events({ t: 'tags', tags: { note: 'n'.repeat(150) } }).finish();
    new RunWriter(root, { id: 'o1', parent: 'o1' }).finish(); // a run cannot be its own parent
    const store = await openStore(root);
    try {
      assert.deepEqual(store.getRun('p1')?.tags, ['manifest', 'mlp', 'team=nlp']);
      assert.deepEqual(store.getRun('c2')?.tags, [`note=${'n'.repeat(100)}…`]);
      assert.deepEqual(store.listRuns({ tag: 'team=nlp' }).runs.map((r) => r.id), ['p1']);
      const parent = store.getRun('p1')!;
      assert.deepEqual(parent.children.map((c) => [c.id, c.name, c.status]), [['c1', 'rf-5', 'completed'], ['c2', 'rf-20', 'completed']]);
      assert.equal(parent.parentRun, undefined);
      const child = store.getRun('c1')!;
      assert.equal(child.parent, 'p1');
      assert.deepEqual(child.parentRun, { id: 'p1', name: 'sweep', status: 'completed' });
      assert.equal(store.getRun('o1')?.parent, undefined);
      // A UI edit of the tags wins over what the script set.
      await store.setRunTags('p1', ['picked']);
      assert.deepEqual(store.getRun('p1')?.tags, ['picked']);
      const before = snapshot(store);
      await store.saveNow();
      fs.rmSync(path.join(root, 'index.sqlite'));
      const rebuilt = await openStore(root);
      assert.deepEqual(snapshot(rebuilt), before);
      assert.deepEqual(rebuilt.getRun('c2')?.parentRun?.id, 'p1');
      await rebuilt.close();
    } finally {
      await store.close();
    }
  });

  it('a deleted parent is no longer linked, and a bad tags record is reported, never fatal', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'p1' }).finish();
    new RunWriter(root, { id: 'c1', parent: 'p1' }).events({ t: 'tags', tags: { a: 1 } }, { t: 'tags', tags: ['x'] }, { t: 'tags', tags: { ok: 'yes' } }).finish();
    const store = await openStore(root);
    try {
      assert.deepEqual(store.getRun('c1')?.tags, ['ok=yes']);
      assert.equal((JSON.stringify(store.opened.problems).match(/tags record without/g) ?? []).length, 2);
      await store.deleteRun('p1');
      assert.equal(store.getRun('c1')?.parentRun, undefined);
      assert.equal(store.getRun('c1')?.parent, 'p1');
    } finally {
      await store.close();
    }
  });
});
