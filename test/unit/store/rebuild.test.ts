import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { openStore, removeTempStores, RunWriter, tempStore, WASM } from './helpers';
import { snapshot } from './snapshot';

const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;

/** A store with a bit of everything, its index saved. */
async function populated(root: string): Promise<TrackingStore> {
  new RunWriter(root, { id: 'a1', experiment: 'team/vision', tags: ['x'] }).params({ lr: 0.1 }).metric('loss', [3, 2, 'NaN', 1]).log('warn', 'w').finish();
  new RunWriter(root, { id: 'a2', experiment: 'team/vision' }).params({ lr: 0.2 }).metric('loss', [5, 4]).finish('failed', { error: 'boom', exit_code: 1 });
  new RunWriter(root, { id: 'b1', experiment: 'nlp', pid: deadPid(), created: 1_700_000_000 }).metric('acc', [0.5, 0.7]).raw('{bad\n');
  const store = await openStore(root);
  await store.createExperiment('empty one', 'nothing yet');
  await store.renameRun('a1', 'best');
  await store.setRunNotes('a2', 'lr too high');
  await store.setRunTags('a2', ['bad', 'lr']);
  await store.describeExperiment('team/vision', 'image models');
  await store.saveNow();
  return store;
}

describe('rebuild from journals', () => {
  let root: string;
  let stores: TrackingStore[] = [];
  const open = async (opts = {}) => {
    const s = await openStore(root, opts);
    stores.push(s);
    return s;
  };
  beforeEach(() => (root = tempStore()));
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  });
  after(removeTempStores);

  it('reopens a saved index without rebuilding it', async () => {
    const first = await populated(root);
    stores.push(first);
    const before = snapshot(first);
    await first.close();
    stores = [];
    const again = await open();
    assert.equal(again.opened.rebuilt, undefined);
    assert.deepEqual(snapshot(again), before);
  });

  it('rebuilds an identical index when index.sqlite is deleted', async () => {
    const first = await populated(root);
    const before = snapshot(first);
    await first.close();
    fs.rmSync(path.join(root, 'index.sqlite'));
    const again = await open();
    assert.match(again.opened.rebuilt ?? '', /no index/);
    assert.deepEqual(snapshot(again), before);
    assert.equal(again.getRun('a1')?.name, 'best');
    assert.equal(again.getRun('b1')?.status, 'crashed');
  });

  it('rebuilds the same index whatever order the runs were first ingested in', async () => {
    // Live: run z logs before run a exists; a rebuild reads the runs in id order.
    const z = new RunWriter(root, { id: 'z9' }).log('info', 'z first');
    const live = await open();
    new RunWriter(root, { id: 'a0' }).log('info', 'a first').log('warn', 'a second').finish();
    z.log('info', 'z second').finish();
    await live.refresh();
    const before = snapshot(live);
    fs.rmSync(path.join(root, 'index.sqlite'), { force: true });
    const rebuilt = await open();
    assert.ok(rebuilt.opened.rebuilt);
    assert.deepEqual(snapshot(rebuilt), before);
    assert.deepEqual(rebuilt.getRun('z9')?.logs.map((l) => [l.seq, l.msg]), [[1, 'z first'], [2, 'z second']]);
  });

  it('rebuilds when index.sqlite is corrupt or truncated', async () => {
    const first = await populated(root);
    const before = snapshot(first);
    await first.close();
    const file = path.join(root, 'index.sqlite');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const truncated = await open();
    assert.match(truncated.opened.rebuilt ?? '', /corrupt/);
    assert.deepEqual(snapshot(truncated), before);
    await truncated.close();
    fs.writeFileSync(file, 'this is not a database, just some text that is long enough to look like a header');
    const garbage = await open();
    assert.match(garbage.opened.rebuilt ?? '', /corrupt/);
    assert.deepEqual(snapshot(garbage), before);
  });

  it('rebuilds an index of a newer schema', async () => {
    await (await populated(root)).close();
    const file = path.join(root, 'index.sqlite');
    const SQL = await initSqlJs({ wasmBinary: fs.readFileSync(WASM) as unknown as ArrayBuffer });
    const db = new SQL.Database(fs.readFileSync(file));
    db.run('UPDATE schema_version SET version = 99');
    fs.writeFileSync(file, db.export());
    db.close();
    const again = await open();
    assert.match(again.opened.rebuilt ?? '', /schema 99/);
    assert.equal(again.listRuns().total, 3);
  });

  it('rebuilds when a journal shrank below its recorded offset', async () => {
    await (await populated(root)).close();
    const journal = path.join(root, 'runs', 'a2', 'events.jsonl');
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    fs.writeFileSync(journal, lines.slice(0, 2).join('\n') + '\n'); // status running + params only
    const again = await open();
    assert.match(again.opened.rebuilt ?? '', /shorter/);
    const a2 = again.getRun('a2');
    assert.equal(a2?.metrics.length, 0);
    assert.equal(a2?.notes, 'lr too high');
  });

  it('rebuilds when a run directory was deleted, and drops its series cache', async () => {
    const store = await open();
    new RunWriter(root, { id: 'gone' }).metric('loss', [1, 2]).finish();
    new RunWriter(root, { id: 'kept' }).metric('loss', [1]).finish();
    await store.refresh();
    assert.ok(fs.existsSync(path.join(root, 'index.series', 'gone')));
    fs.rmSync(path.join(root, 'runs', 'gone'), { recursive: true });
    const result = await store.refresh();
    assert.match(result.rebuilt ?? '', /gone/);
    assert.deepEqual(store.listRuns().runs.map((r) => r.id), ['kept']);
    assert.ok(!fs.existsSync(path.join(root, 'index.series', 'gone')));
  });

  it('re-derives a series whose cache files were deleted', async () => {
    const store = await open();
    const run = new RunWriter(root, { id: 'r1' }).metric('loss', [1, 2, 3]);
    await store.refresh();
    fs.rmSync(path.join(root, 'index.series', 'r1'), { recursive: true });
    run.metric('loss', [4], { firstStep: 3 });
    await store.refresh();
    assert.deepEqual(store.getSeries('r1', 'loss')?.y, [1, 2, 3, 4]);
    assert.equal(store.getRun('r1')?.metrics[0].count, 4);
  });

  it('writes index.sqlite atomically (no temp files left) and only when something changed', async () => {
    const store = await populated(root);
    stores.push(store);
    const file = path.join(root, 'index.sqlite');
    const past = Math.floor(Date.now() / 1000) - 60;
    fs.utimesSync(file, past, past); // a rewrite now would show in the mtime
    await store.saveNow();
    assert.equal(Math.round(fs.statSync(file).mtimeMs / 1000), past, 'not written again');
    assert.deepEqual(fs.readdirSync(root).filter((f) => f.endsWith('.tmp')), []);
  });
});
