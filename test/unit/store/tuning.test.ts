import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { openStore, removeTempStores, RunWriter, tempStore } from './helpers';

const SPACE = { lr: { type: 'float', low: 1e-4, high: 1, log: true }, depth: { type: 'int', low: 1, high: 8 }, kind: { type: 'categorical', choices: ['a', 'b'] } };

function session(run: RunWriter, id: string, extra: Record<string, unknown> = {}): void {
  run.events({ t: 'tuning.session', id, study_name: `study-${id}`, directions: ['maximize'], sampler: 'tpe', source: 'mlwb', space: SPACE, config: { n_trials: 4 }, ...extra });
}

function trial(run: RunWriter, sessionId: string, number: number, state: string, values: unknown, extra: Record<string, unknown> = {}): void {
  run.events({
    t: 'tuning.trial', session: sessionId, number, state, params: { lr: 0.01 * (number + 1), depth: number + 1, kind: number % 2 ? 'b' : 'a' },
    values, started: 1000 + number, ended: 1001 + number, duration_ms: 1000, ...extra,
  });
}

describe('tuning sessions in the store', () => {
  let root: string;
  let store: TrackingStore | undefined;
  beforeEach(() => (root = tempStore()));
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  after(removeTempStores);

  it('ingests a session, its trials (last record of a number wins) and its end; best so far and best trial', async () => {
    const run = new RunWriter(root, { id: 'r1', experiment: 'tune' });
    session(run, 's1');
    trial(run, 's1', 0, 'complete', [0.8], { intermediate: { 0: 0.5, 1: 0.7, 2: 'NaN' } });
    trial(run, 's1', 1, 'running', null);
    store = await openStore(root);
    let s = store.getTuningSession('s1');
    assert.ok(s);
    assert.equal(s.status, 'running');
    assert.deepEqual(s.trials.map((t) => t.state), ['complete', 'running']);
    assert.deepEqual(s.trials[0].intermediate.map((p) => [p.step, p.value]), [[0, 0.5], [1, 0.7], [2, NaN]]);
    trial(run, 's1', 1, 'pruned', null, { intermediate: { 0: 0.1 } });
    trial(run, 's1', 2, 'complete', [0.9]);
    trial(run, 's1', 3, 'fail', null, { error: 'ValueError: boom' });
    run.events({ t: 'tuning.complete', session: 's1', status: 'completed', best_trials: [2], n_trials: 4, duration_ms: 4000 });
    await store.refresh();
    s = store.getTuningSession('s1');
    assert.ok(s);
    assert.equal(s.status, 'completed');
    assert.equal(s.studyName, 'study-s1');
    assert.equal(s.run, 'r1');
    assert.deepEqual(s.space, SPACE);
    assert.deepEqual(s.trials.map((t) => [t.number, t.state, t.values]), [[0, 'complete', [0.8]], [1, 'pruned', null], [2, 'complete', [0.9]], [3, 'fail', null]]);
    assert.deepEqual(s.trials[1].intermediate, [{ step: 0, value: 0.1 }]);
    assert.equal(s.trials[3].error, 'ValueError: boom');
    assert.deepEqual(s.bestSoFar, [0.8, 0.8, 0.9, 0.9]);
    assert.deepEqual(s.bestTrials, [2]);
    const list = store.listTuningSessions();
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].counts, { running: 0, complete: 2, pruned: 1, fail: 1, waiting: 0 });
    assert.deepEqual(list[0].best.map((b) => [b.number, b.values]), [[2, [0.9]]]);
    assert.equal(list[0].runName, run.manifest.name);
    assert.deepEqual(store.listTuningSessions('other'), []);
  });

  it('multi-objective: directions per objective and the Pareto front', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    session(run, 'm', { directions: ['minimize', 'maximize'], metric_names: ['error', 'speed'], source: 'optuna', sampler: 'NSGAIISampler' });
    const pts = [[1, 1], [2, 3], [0.5, 0.5], [3, 2], [2, 3]];
    pts.forEach((v, i) => trial(run, 'm', i, 'complete', v));
    trial(run, 'm', 5, 'complete', ['Infinity', 9]);
    store = await openStore(root);
    const s = store.getTuningSession('m');
    assert.ok(s);
    assert.deepEqual(s.directions, ['minimize', 'maximize']);
    assert.equal(s.bestSoFar, undefined);
    // 0 (1,1) is dominated by none? (0.5,0.5): lower error but lower speed -> no. (2,3) twice: equal points do not dominate each other.
    assert.deepEqual(s.bestTrials, [0, 1, 2, 4, 5]);
    assert.deepEqual(s.trials[5].values, [Infinity, 9]);
  });

  it('a session whose run ended without tuning.complete shows as stopped; bad records are reported, not fatal', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    session(run, 's1');
    trial(run, 's1', 0, 'complete', [1]);
    run.events({ t: 'tuning.trial', session: 'nope', number: 0, state: 'complete', params: {}, values: [1] });
    run.events({ t: 'tuning.trial', session: 's1', number: 1, state: 'weird', params: {} });
    run.events({ t: 'tuning.session', id: 'bad', study_name: 'x', directions: ['up'], sampler: 'tpe', source: 'mlwb' });
    run.finish('cancelled');
    store = await openStore(root);
    assert.equal(store.getTuningSession('s1')?.status, 'stopped');
    assert.equal(store.getTuningSession('bad'), undefined);
    const reasons = store.problems().map((p) => p.reason).sort();
    assert.equal(reasons.length, 3);
    assert.match(reasons.join('\n'), /no tuning.session "nope"/);
    assert.match(reasons.join('\n'), /unknown state/);
    assert.match(reasons.join('\n'), /directions/);
  });

  it('survives a rebuild and goes with a deleted run', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    session(run, 's1');
    for (let i = 0; i < 12; i++) trial(run, 's1', i, 'complete', [i % 3 === 0 ? 0.5 : 0.9 - i * 0.01]);
    store = await openStore(root);
    const before = store.getTuningSession('s1');
    await store.rebuild('test');
    assert.deepEqual(store.getTuningSession('s1'), before);
    const imp = store.tuningImportance('s1');
    assert.ok(imp);
    assert.equal(imp.method, 'mdi-forest');
    assert.ok(Math.abs(Object.values(imp.values).reduce((a, b) => a + b, 0) - 1) < 1e-9);
    await store.deleteRun('r1');
    assert.deepEqual(store.listTuningSessions(), []);
    assert.equal(store.getTuningSession('s1'), undefined);
  });

  it('a study shared by worker runs is one session: every worker\'s trials, the latest end, a reset first run hands it on', async () => {
    const workers = ['w1', 'w2', 'w3'].map((id) => new RunWriter(root, { id, experiment: 'tune' }));
    workers.forEach((w) => session(w, 'shared'));
    trial(workers[0], 'shared', 0, 'complete', [0.5]);
    trial(workers[1], 'shared', 1, 'complete', [0.9]);
    trial(workers[2], 'shared', 2, 'complete', [0.7]);
    trial(workers[0], 'shared', 3, 'complete', [0.6]);
    workers[1].events({ t: 'tuning.complete', ts: 2000, session: 'shared', status: 'completed', best_trials: [1] });
    workers[0].events({ t: 'tuning.complete', ts: 1000, session: 'shared', status: 'completed', best_trials: [0] });
    store = await openStore(root);
    const s = store.getTuningSession('shared');
    assert.ok(s);
    assert.deepEqual(s.trials.map((t) => [t.number, t.values]), [[0, [0.5]], [1, [0.9]], [2, [0.7]], [3, [0.6]]]);
    assert.deepEqual(s.bestTrials, [1]);
    assert.equal(s.ended, 2000);
    assert.equal(store.listTuningSessions().length, 1);
    assert.deepEqual(store.problems(), []);
    await store.rebuild('test');
    assert.deepEqual(store.getTuningSession('shared')?.trials.length, 4);
    // The owner's journal read again from byte 0 (its series cache was lost): the session passes to another
    // worker meanwhile, stays whole, and comes back to the worker that started it, as a rebuild would say.
    const owner = workers.find((w) => w.manifest.id === s.run);
    assert.ok(owner);
    owner.metric('loss', [1, 2]);
    await store.refresh();
    fs.rmSync(path.join(root, 'index.series', owner.manifest.id), { recursive: true });
    owner.metric('loss', [3], { firstStep: 2 });
    await store.refresh();
    const after = store.getTuningSession('shared');
    assert.ok(after);
    assert.equal(after.run, owner.manifest.id);
    assert.deepEqual(after.trials.map((t) => t.number), [0, 1, 2, 3]);
    assert.deepEqual(store.getSeries(owner.manifest.id, 'loss')?.y, [1, 2, 3]);
    assert.deepEqual(store.problems(), []);
  });

  it('a shared study belongs to the worker that started it first, whatever order its journals are read in', async () => {
    // The second worker's journal is read first (it started later, but the first one had not written yet).
    const late = new RunWriter(root, { id: 'a-late', experiment: 'tune' });
    session(late, 'shared', { ts: 2000 });
    trial(late, 'shared', 1, 'complete', [0.9]);
    store = await openStore(root);
    assert.equal(store.getTuningSession('shared')?.run, 'a-late');
    const early = new RunWriter(root, { id: 'b-early', experiment: 'tune' });
    session(early, 'shared', { ts: 1000 });
    trial(early, 'shared', 0, 'complete', [0.5]);
    await store.refresh();
    const live = store.getTuningSession('shared');
    assert.equal(live?.run, 'b-early');
    assert.deepEqual(store.listTuningSessions().map((t) => t.run), ['b-early']);
    await store.rebuild('test');
    assert.deepEqual(store.getTuningSession('shared'), live, 'a rebuild gives the same session');
  });

  it('importance recorded by the tuning process wins over ours', async () => {
    const run = new RunWriter(root, { id: 'r1' });
    session(run, 's1');
    trial(run, 's1', 0, 'complete', [1]);
    trial(run, 's1', 1, 'complete', [2]);
    run.events({ t: 'tuning.complete', session: 's1', status: 'completed', best_trials: [1], importance: { method: 'optuna-fanova', values: [{ depth: 0.3, lr: 0.7 }] } });
    store = await openStore(root);
    assert.deepEqual(store.tuningImportance('s1'), { method: 'optuna-fanova', objective: 0, values: { lr: 0.7, depth: 0.3 } });
  });
});

describe('cross-language: mlwb.tune writes sessions, the store reads them back exactly', function () {
  this.timeout(60_000);
  after(removeTempStores);

  it('three tune workers sharing one Optuna journal, each in its own run, are ONE session with every trial', async function () {
    const { spawn } = await import('node:child_process');
    const root = tempStore();
    const dir = path.dirname(root);
    fs.mkdirSync(path.join(root, 'tuning'), { recursive: true });
    const spec = path.join(dir, 'tune.json');
    fs.writeFileSync(spec, JSON.stringify({
      study_name: 'knn', direction: 'maximize', sampler: 'random', seed: 3,
      space: { n_neighbors: { type: 'int', low: 1, high: 30 } },
      model: { estimator: 'sklearn.neighbors.KNeighborsClassifier', dataset: 'iris', cv: 2 },
    }));
    const runs = ['w0', 'w1', 'w2'].map((id) => new RunWriter(root, { id: `20260101-000000-0000${id}`, experiment: 'knn' }));
    const codes = await Promise.all(runs.map((run, i) => new Promise<number | null>((resolve) => {
      const args = ['-m', 'mlwb', 'tune', '--run-id', run.manifest.id, '--spec', spec, '--storage', path.join(root, 'tuning', 'knn.optuna-journal'),
        '--study-name', 'knn', '--n-trials', '4', '--worker'];
      const env = { ...process.env, MLWB_STORE: root, SLURM_ARRAY_TASK_ID: String(i), PYTHONPATH: path.resolve(__dirname, '../../../../python-runner') };
      spawn('/usr/bin/python3', args, { env, stdio: 'ignore' }).on('exit', resolve);
    })));
    assert.deepEqual(codes, [0, 0, 0]);
    const store = await openStore(root);
    try {
      const list = store.listTuningSessions();
      assert.equal(list.length, 1);
      const s = store.getTuningSession(list[0].id);
      assert.ok(s);
      assert.deepEqual(s.trials.map((t) => t.number), [...Array(12).keys()]);
      assert.deepEqual(new Set(s.trials.map((t) => t.run)), new Set(runs.map((r) => r.manifest.id)));
      assert.equal(s.status, 'completed');
      assert.deepEqual(store.problems(), []);
    } finally {
      await store.close();
    }
  });

  it('a built-in session (optuna hidden) and a multi-objective one, trial by trial', async function () {
    const { spawnSync } = await import('node:child_process');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const root = tempStore();
    fs.mkdirSync(root, { recursive: true });
    const out = path.join(path.dirname(root), 'expected.json');
    const script = String.raw`
import sys; sys.modules['optuna'] = None
import json, math
from mlwb import tune, Experiment

def objective(trial):
    x = trial.suggest_float("x", -2, 2)
    k = trial.suggest_categorical("k", ["a", "b", None])
    for s in range(3):
        trial.report(float("nan") if trial.number == 1 and s == 1 else x * s + 0.0, s)  # +0.0: no -0.0 (JSON loses its sign)
    if trial.number == 2:
        raise ValueError("nope")
    return x * x + (k == "a")

with Experiment("xl", root=sys.argv[2]) as exp:
    a = tune.run(objective, n_trials=6, seed=4, study_name="single", experiment=exp, pruner="none")
    b = tune.run(lambda t: (t.suggest_int("i", 0, 9), -t.suggest_int("j", 0, 9)), directions=["minimize", "maximize"],
                 n_trials=8, seed=2, study_name="multi", experiment=exp)
enc = lambda v: "NaN" if v != v else v
json.dump({"run": exp.id, "sessions": [
    {"id": r.session, "best": [t.number for t in r.best_trials], "trials": [
        {"number": t.number, "state": t.state, "params": t.params, "values": t.values,
         "intermediate": [[k, enc(v)] for k, v in sorted(t.intermediate.items())]} for t in r.trials]}
    for r in (a, b)]}, open(sys.argv[1], "w"))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, out, root], {
      encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.resolve(__dirname, '../../../../python-runner') },
    });
    assert.equal(r.status, 0, r.stderr);
    const expected = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      run: string;
      sessions: { id: string; best: number[]; trials: { number: number; state: string; params: Record<string, unknown>; values: number[] | null; intermediate: [number, number | string][] }[] }[];
    };
    const store = await openStore(root);
    try {
      const list = store.listTuningSessions(expected.run);
      assert.deepEqual(list.map((s) => s.studyName).sort(), ['multi', 'single']);
      for (const e of expected.sessions) {
        const s = store.getTuningSession(e.id);
        assert.ok(s);
        assert.equal(s.status, 'completed');
        assert.equal(s.backend, 'builtin');
        assert.deepEqual(s.bestTrials, e.best);
        assert.deepEqual(
          s.trials.map((t) => ({ number: t.number, state: t.state, params: t.params, values: t.values, intermediate: t.intermediate.map((p) => [p.step, p.value]) })),
          e.trials.map((t) => ({ ...t, intermediate: t.intermediate.map(([k, v]) => [k, v === 'NaN' ? NaN : v]) })),
        );
        assert.ok(s.trials.every((t) => t.run === expected.run && (t.durationMs ?? -1) >= 0));
      }
      assert.deepEqual(store.problems(), []);
    } finally {
      await store.close();
    }
  });
});
