import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { appendLines, now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';

describe('ingestion', () => {
  let root: string;
  let store: TrackingStore | undefined;
  beforeEach(() => (root = tempStore()));
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  after(removeTempStores);

  it('reads a run: manifest, params, metrics, logs, files, status', async () => {
    const run = new RunWriter(root, { id: 'r1', experiment: 'alice/proj/mnist', tags: ['baseline'] });
    run.params({ lr: 0.1, 'model.depth': 3, opt: 'adam' }).metric('train/loss', [3, 2, 1.5]).log('info', 'hello', 'stdout');
    run.events({ t: 'file', op: 'save', id: 'f1', path: 'files/model.pkl', size: 10, sha256: 'ab' }).finish('completed', { exit_code: 0 });
    store = await openStore(root);
    const r = store.getRun('r1');
    assert.ok(r);
    assert.equal(r.status, 'completed');
    assert.equal(r.experiment, 'alice/proj/mnist');
    assert.equal(r.experimentName, 'mnist');
    assert.deepEqual(r.tags, ['baseline']);
    assert.deepEqual(r.params, { lr: 0.1, 'model.depth': 3, opt: 'adam' });
    assert.deepEqual(r.metrics.map((m) => [m.key, m.last, m.min, m.max, m.count, m.lastStep]), [['train/loss', 1.5, 1.5, 3, 3, 2]]);
    assert.deepEqual(r.logs.map((l) => [l.level, l.msg, l.stream]), [['info', 'hello', 'stdout']]);
    assert.deepEqual(r.files.map((f) => [f.id, f.path, f.size]), [['f1', 'files/model.pkl', 10]]);
    assert.equal(r.exitCode, 0);
    assert.equal(r.git?.commit, 'deadbeef');
    assert.ok(r.duration !== undefined && r.duration >= 0);
  });

  it('reads only the bytes appended since the last pass', async () => {
    const run = new RunWriter(root, { id: 'r1' }).metric('loss', [1, 2]);
    store = await openStore(root);
    // Rewrite the already-read bytes in place (same size): a re-read from 0 would see garbage.
    const size = fs.statSync(run.journal).size;
    fs.writeFileSync(run.journal, 'x'.repeat(size - 1) + '\n');
    run.metric('loss', [3], { firstStep: 2 });
    const result = await store.refresh();
    assert.deepEqual(result.runs, ['r1']);
    assert.deepEqual(result.problems, []);
    assert.equal(result.rebuilt, undefined);
    assert.equal(store.getRun('r1')?.metrics[0].count, 3);
    assert.deepEqual(store.getSeries('r1', 'loss')?.y, [1, 2, 3]);
    const again = await store.refresh();
    assert.deepEqual([again.runs, again.experiments], [[], []]);
  });

  it('leaves a torn last line for the next pass, then reads it whole', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    const line = JSON.stringify({ v: 1, t: 'log', ts: now(), level: 'warn', msg: 'split across writes' });
    run.raw(line.slice(0, 20));
    store = await openStore(root);
    assert.deepEqual(store.getLogs('r1').logs, []);
    assert.deepEqual(store.problems(), []);
    run.raw(line.slice(20) + '\n');
    await store.refresh();
    assert.deepEqual(store.getLogs('r1').logs.map((l) => l.msg), ['split across writes']);
    assert.deepEqual(store.problems(), []);
  });

  it('skips and reports a malformed line, and ingests the lines after it', async () => {
    const run = new RunWriter(root, { id: 'r1' }).log('info', 'before');
    run.raw('{"v":1,"t":"log",oops\n').log('info', 'after');
    run.raw('[1,2]\n').events({ t: 'metrics', series: { loss: { step: [1, 2], value: [1], time: [0, 0] } } }).log('info', 'last');
    store = await openStore(root);
    assert.deepEqual(store.getLogs('r1').logs.map((l) => l.msg), ['before', 'after', 'last']);
    const problems = store.problems().reverse();
    assert.equal(problems.length, 3);
    assert.deepEqual(problems.map((p) => [p.file, p.line]), [['runs/r1/events.jsonl', 3], ['runs/r1/events.jsonl', 5], ['runs/r1/events.jsonl', 6]]);
    assert.match(problems[0].reason, /malformed JSON/);
    assert.match(problems[1].reason, /not a journal record/);
    assert.match(problems[2].reason, /one length/);
    assert.equal(typeof problems[0].offset, 'number');
    assert.equal(store.getRun('r1')?.metrics.length, 0);
    const again = await store.refresh();
    assert.deepEqual(again.problems, [], 'a problem is reported once');
  });

  it('reports records of a newer journal version and skips unknown record types', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    run.events({ v: 99, t: 'log', level: 'info', msg: 'from the future' }).events({ t: 'hologram', x: 1 }).log('info', 'now');
    store = await openStore(root);
    assert.deepEqual(store.getLogs('r1').logs.map((l) => l.msg), ['now']);
    const problems = store.problems();
    assert.equal(problems.length, 1);
    assert.match(problems[0].reason, /version 99 is newer/);
  });

  it('ingests a line with invalid UTF-8 and reports it', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    fs.appendFileSync(run.journal, Buffer.concat([Buffer.from(`{"v":1,"t":"log","ts":${now()},"level":"info","msg":"caf`), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    store = await openStore(root);
    const msgs = store.getLogs('r1').logs.map((l) => l.msg);
    assert.deepEqual(msgs, ['caf\uFFFD']);
    assert.ok(store.problems().some((p) => /invalid UTF-8/.test(p.reason)));
  });

  it('keeps NaN and Infinity in series without breaking min/max', async () => {
    new RunWriter(root, { id: 'r1' }).metric('loss', [2, 'NaN', 'Infinity', 1, '-Infinity', 'NaN']);
    store = await openStore(root);
    const m = store.getRun('r1')?.metrics[0];
    assert.ok(m);
    assert.deepEqual([m.min, m.max, m.count], [1, 2, 6]);
    assert.ok(Number.isNaN(m.last));
    assert.deepEqual(store.getSeries('r1', 'loss')?.y, [2, NaN, Infinity, 1, -Infinity, NaN]);
  });

  it('waits for a run.json that is missing, reports one that is malformed', async () => {
    fs.mkdirSync(path.join(root, 'runs', 'early'), { recursive: true });
    appendLines(path.join(root, 'runs', 'early', 'events.jsonl'), [{ v: 1, t: 'status', ts: now(), status: 'running' }]);
    fs.mkdirSync(path.join(root, 'runs', 'broken'), { recursive: true });
    fs.writeFileSync(path.join(root, 'runs', 'broken', 'run.json'), '{"v":1,');
    store = await openStore(root);
    assert.equal(store.listRuns().total, 0);
    assert.deepEqual(store.problems().map((p) => p.file), ['runs/broken/run.json']);
    new RunWriter(root, { id: 'early' });
    await store.refresh();
    assert.deepEqual(store.listRuns().runs.map((r) => r.id), ['early']);
  });

  it('opens a store directory that does not exist yet without creating it', async () => {
    store = await openStore(root);
    assert.deepEqual([store.listExperiments(), store.listRuns()], [[], { runs: [], total: 0 }]);
    await store.saveNow();
    assert.ok(!fs.existsSync(root));
  });

  it('reads a large journal in many chunks', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    run.metric('loss', Array.from({ length: 20_000 }, (_, i) => i), { batch: 100 });
    store = await openStore(root, { chunkBytes: 4096 });
    const m = store.getRun('r1')?.metrics[0];
    assert.deepEqual([m?.count, m?.min, m?.max], [20_000, 0, 19_999]);
    assert.equal(store.getSeries('r1', 'loss', { width: 10_000 })?.y.length, 20_000);
  });
});
