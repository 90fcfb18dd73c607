import * as assert from 'node:assert/strict';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';

describe('queries', () => {
  let root: string;
  let store: TrackingStore;
  const t0 = now() - 1000;

  before(async () => {
    root = tempStore();
    // 12 runs in two experiments: created 10 s apart, durations 12..1 s, accuracy peaking at run 7.
    for (let i = 0; i < 12; i++) {
      const run = new RunWriter(root, { id: `run-${String(i).padStart(2, '0')}`, experiment: i % 2 ? 'odd' : 'even', name: `model ${String.fromCharCode(97 + ((i * 5) % 12))}`, created: t0 + i * 10 });
      run.params({ lr: i < 6 ? 0.1 : 0.01, depth: 3, seed: i });
      run.metric('val/acc', [0.1 * (i % 8), 0.05 * i]);
      if (i !== 3) run.events({ t: 'status', ts: t0 + i * 10 + (12 - i), status: i === 5 ? 'failed' : 'completed', error: i === 5 ? 'OOM' : undefined });
    }
    store = await openStore(root);
    await store.setRunTags('run-02', ['keep', 'gpu']);
    await store.setRunTags('run-04', ['keep']);
    await store.setRunNotes('run-09', 'Interesting divergence');
  });
  after(async () => {
    await store.close();
    removeTempStores();
  });

  const ids = (opts: Parameters<TrackingStore['listRuns']>[0]) => store.listRuns(opts).runs.map((r) => r.id);

  it('lists newest first by default, with paging and a total', () => {
    const page = store.listRuns({ offset: 2, limit: 3 });
    assert.equal(page.total, 12);
    assert.deepEqual(page.runs.map((r) => r.id), ['run-09', 'run-08', 'run-07']);
  });

  it('filters by experiment, status, tag and text', () => {
    assert.deepEqual(ids({ experiment: 'odd', limit: 3 }), ['run-11', 'run-09', 'run-07']);
    assert.deepEqual(ids({ status: ['failed'] }), ['run-05']);
    // run-03 never finished; its process (this one) is alive and its journal recent.
    assert.deepEqual(ids({ status: ['running', 'failed'] }), ['run-05', 'run-03']);
    assert.deepEqual(ids({ tag: 'keep' }), ['run-04', 'run-02']);
    assert.deepEqual(ids({ text: 'DIVERGENCE' }), ['run-09']);
    assert.deepEqual(ids({ text: 'gpu' }), ['run-02']);
    assert.deepEqual(ids({ text: '100%' }), []);
    assert.deepEqual(ids({ experiment: 'even', status: ['completed'], tag: 'keep' }), ['run-04', 'run-02']);
  });

  it('sorts by name, duration and a metric aggregate, either way', () => {
    assert.deepEqual(ids({ sort: { by: 'name' }, limit: 3 }), ['run-00', 'run-05', 'run-10']);
    assert.deepEqual(ids({ sort: { by: 'duration', dir: 'asc' }, experiment: 'even', limit: 2 }), ['run-10', 'run-08']);
    assert.deepEqual(ids({ sort: { by: 'created', dir: 'asc' }, limit: 2 }), ['run-00', 'run-01']);
    const byMax = store.listRuns({ sort: { by: { metric: 'val/acc', agg: 'max' } }, limit: 2 });
    assert.deepEqual(byMax.runs.map((r) => [r.id, r.sortValue]), [['run-07', 0.7000000000000001], ['run-06', 0.6000000000000001]]);
    assert.deepEqual(ids({ sort: { by: { metric: 'val/acc', agg: 'last' }, dir: 'asc' }, limit: 2 }), ['run-00', 'run-01']);
    const missing = store.listRuns({ sort: { by: { metric: 'nope', agg: 'min' }, dir: 'asc' }, limit: 1 });
    assert.equal(missing.runs[0].sortValue, null);
  });

  it('returns a run in full', () => {
    const r = store.getRun('run-05');
    assert.ok(r);
    assert.deepEqual([r.status, r.error, r.duration, r.experimentName], ['failed', 'OOM', 7, 'odd']);
    assert.deepEqual(r.params, { depth: 3, lr: 0.1, seed: 5 });
    assert.deepEqual(r.argv, ['train.py', '--lr', '0.1']);
    assert.equal(r.python?.version, '3.11.2');
    assert.equal(store.getRun('nope'), undefined);
  });

  it('counts runs per experiment', () => {
    assert.deepEqual(store.listExperiments().map((e) => [e.id, e.runCount, e.status]).sort(), [['even', 6, 'active'], ['odd', 6, 'active']]);
  });

  it('compares runs: union of params, flags the differing ones, summaries per run', () => {
    const c = store.compareRuns(['run-01', 'run-02', 'ghost', 'run-07']);
    assert.deepEqual(c.runs.map((r) => r.id), ['run-01', 'run-02', 'run-07']);
    assert.deepEqual(c.params.map((p) => [p.key, p.differs]), [['depth', false], ['lr', true], ['seed', true]]);
    assert.deepEqual(c.params[1].values, [0.1, 0.1, 0.01]);
    assert.deepEqual(c.metrics.map((m) => [m.key, m.values.map((v) => v?.max)]), [['val/acc', [0.1, 0.2, 0.7000000000000001]]]);
  });
});

describe('log queries', () => {
  let store: TrackingStore;
  before(async () => {
    const root = tempStore();
    const run = new RunWriter(root, { id: 'r1' });
    for (let i = 0; i < 30; i++) run.log(i % 10 === 0 ? 'error' : i % 3 === 0 ? 'warn' : 'info', `line ${i}${i === 17 ? ' 50%_done' : ''}`);
    store = await openStore(root);
  });
  after(async () => {
    await store.close();
    removeTempStores();
  });

  it('pages, filters by minimum level and searches', () => {
    const page = store.getLogs('r1', { offset: 5, limit: 3 });
    assert.equal(page.total, 30);
    assert.deepEqual(page.logs.map((l) => l.msg), ['line 5', 'line 6', 'line 7']);
    assert.deepEqual(store.getLogs('r1', { level: 'error' }).logs.map((l) => l.msg), ['line 0', 'line 10', 'line 20']);
    assert.equal(store.getLogs('r1', { level: 'warn' }).total, 12);
    assert.deepEqual(store.getLogs('r1', { search: '%_D' }).logs.map((l) => l.msg), ['line 17 50%_done']);
    assert.deepEqual(store.getRun('r1', { logLimit: 2 })?.logs.map((l) => l.msg), ['line 28', 'line 29']);
  });

  it('gives the last lines at a level, oldest first, however many there are (a failure toast\'s tail)', async () => {
    assert.deepEqual(store.lastLogLines('r1', 2), ['line 10', 'line 20']);
    assert.deepEqual(store.lastLogLines('r1', 2, 'warn'), ['line 24', 'line 27']);
    assert.deepEqual(store.lastLogLines('nope', 3), []);
    const root = tempStore();
    const run = new RunWriter(root, { id: 'many' });
    for (let i = 0; i < 700; i++) run.log('error', `err ${i}`);
    const many = await openStore(root);
    assert.deepEqual(many.lastLogLines('many', 3), ['err 697', 'err 698', 'err 699'], 'not the last of the first page');
    await many.close();
  });
});
