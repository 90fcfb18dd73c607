import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runnerInvocation, terminalName } from '../../../src/runner/launch-spec';
import { withDerived } from '../../../src/tuning/analysis';
import type { TuningStudy, TuningTrial } from '../../../src/tuning/model';
import { fromWireStudy, isTuningPanelState, parseFromTuning, toWireStudy } from '../../../src/tuning/panel/contract';
import {
  contourGrid, edf, intermediateCurves, optimizationHistory, orderedParams, paramAxis, paretoData, sliceData, sortRows, trialRows,
} from '../../../src/tuning/panel/plot-data';
import { readStudyFile } from '../../../src/tuning/study-files';
import { generatedSpec, isTuneSpecFile, needsSpec, scriptKind, trainedFrom, trainPlan, tuneRunnerArgs } from '../../../src/tuning/tune-launch';

const WASM = require.resolve('sql.js/dist/sql-wasm.wasm');

function trial(number: number, value: number | null, params: Record<string, unknown>, extra: Partial<TuningTrial> = {}): TuningTrial {
  return {
    number, state: value === null ? 'pruned' : 'complete', params, values: value === null ? null : [value], intermediate: [],
    distributions: {}, ...extra,
  };
}

function study(trials: TuningTrial[], over: Partial<TuningStudy> = {}): TuningStudy {
  return withDerived({
    id: 's1', studyName: 'rf', directions: ['maximize'], source: 'mlwb', status: 'completed', run: 'r1',
    space: {
      n: { type: 'int', low: 10, high: 100 },
      lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
      crit: { type: 'categorical', choices: ['gini', 'entropy'] },
    },
    trials, ...over,
  });
}

const S = study([
  trial(0, 0.90, { n: 10, lr: 1e-3, crit: 'gini' }, { durationMs: 300 }),
  trial(1, 0.85, { n: 50, lr: 1e-2, crit: 'entropy' }, { durationMs: 100 }),
  trial(2, null, { n: 90, lr: 1e-4, crit: 'gini' }, { intermediate: [{ step: 0, value: 0.5 }, { step: 1, value: 0.4 }] }),
  trial(3, 0.95, { n: 100, lr: 1e-1, crit: 'entropy' }, { intermediate: [{ step: 0, value: 0.7 }, { step: 1, value: 0.95 }] }),
  trial(4, 0.95, { n: 70, lr: 5e-2, crit: 'gini' }),
  trial(5, NaN, { n: 20, lr: 2e-3, crit: 'gini' }),
]);

describe('tuning panel: plot data', () => {
  it('optimization history: complete finite values, the best marked, best so far from the first complete trial on', () => {
    const h = optimizationHistory(S);
    assert.deepEqual(h.points.map((p) => [p.x, p.y, p.best]), [[0, 0.9, false], [1, 0.85, false], [3, 0.95, true], [4, 0.95, false]]);
    assert.deepEqual(h.bestSoFar.map((p) => [p.x, p.y]), [[0, 0.9], [1, 0.9], [2, 0.9], [3, 0.95], [4, 0.95], [5, 0.95]]);
    const min = optimizationHistory({ ...S, directions: ['minimize'] });
    assert.deepEqual(min.bestSoFar.map((p) => p.y), [0.9, 0.85, 0.85, 0.85, 0.85, 0.85]);
  });

  it('EDF: sorted values, fraction of trials at or below each, ties at their highest fraction', () => {
    assert.deepEqual(edf(S), [{ x: 0.85, y: 0.25 }, { x: 0.9, y: 0.5 }, { x: 0.95, y: 1 }]);
  });

  it('slices: numbers as they are (log flag from the distribution), choices by index', () => {
    const lr = sliceData(S, 'lr');
    assert.equal(lr.axis.log, true);
    assert.deepEqual(lr.points.map((p) => [p.number, p.x]), [[0, 1e-3], [1, 1e-2], [3, 1e-1], [4, 5e-2]]);
    const crit = sliceData(S, 'crit');
    assert.deepEqual(crit.axis.labels, ['gini', 'entropy']);
    assert.deepEqual(crit.points.map((p) => [p.number, p.x, p.y]), [[0, 0, 0.9], [1, 1, 0.85], [3, 1, 0.95], [4, 0, 0.95]]);
    assert.deepEqual(paramAxis(S, 'n'), { name: 'n', kind: 'numeric', log: false, min: 10, max: 100 });
  });

  it('contour: a grid over both axes that is exact at the trials and between their values elsewhere', () => {
    const c = contourGrid(S, 'n', 'crit', 0, 10);
    assert.equal(c.xs.length, 10);
    assert.deepEqual(c.ys, [0, 1], 'a categorical axis has one row per choice');
    assert.equal(c.values.length, 2);
    assert.ok(c.values.every((row) => row.length === 10));
    for (const row of c.values) for (const v of row) assert.ok(v !== null && v >= 0.85 - 1e-12 && v <= 0.95 + 1e-12);
    assert.equal(c.min, 0.85);
    assert.equal(c.max, 0.95);
    assert.equal(c.points.length, 4);
    // A grid cell on a trial takes its value.
    const one = contourGrid(study([trial(0, 1, { n: 10, lr: 1e-3, crit: 'gini' }), trial(1, 3, { n: 100, lr: 1e-1, crit: 'gini' })]), 'n', 'lr', 0, 2);
    assert.equal(one.xs[0] > 10 && one.xs[1] < 100, true);
    assert.ok(one.values[0][0]! < one.values[1][1]!, 'closer to the low trial, lower');
    const lrAxis = contourGrid(S, 'lr', 'n', 0, 4).xs;
    assert.ok(Math.abs(Math.log(lrAxis[1]) - Math.log(lrAxis[0]) - (Math.log(lrAxis[3]) - Math.log(lrAxis[2]))) < 1e-9, 'log axes are spaced evenly in log');
  });

  it('Pareto data and intermediate curves', () => {
    const mo = study(
      [
        { ...trial(0, null, {}), state: 'complete', values: [1, 5] },
        { ...trial(1, null, {}), state: 'complete', values: [2, 2] },
        { ...trial(2, null, {}), state: 'complete', values: [3, 3] },
        { ...trial(3, null, {}), state: 'complete', values: [5, 1] },
      ],
      { directions: ['minimize', 'minimize'], space: {} },
    );
    assert.deepEqual(paretoData(mo).points.map((p) => [p.number, p.front]), [[0, true], [1, true], [2, false], [3, true]]);
    assert.deepEqual(optimizationHistory(mo, 1).bestSoFar.map((p) => p.y), [5, 2, 2, 1]);
    assert.deepEqual(intermediateCurves(S).map((c) => [c.number, c.state, c.points.length]), [[2, 'pruned', 2], [3, 'complete', 2]]);
  });

  it('trial table: rows with values and durations, sorted with missing values last', () => {
    const rows = trialRows(S);
    assert.equal(rows.find((r) => r.best)?.number, 3);
    const byValue = sortRows(rows, { kind: 'value', index: 0 }, 'desc').map((r) => r.number);
    assert.deepEqual(byValue, [3, 4, 0, 1, 2, 5], 'ties by number; pruned (null) and NaN last');
    assert.deepEqual(sortRows(rows, { kind: 'value', index: 0 }, 'asc').map((r) => r.number), [1, 0, 3, 4, 2, 5]);
    assert.deepEqual(sortRows(rows, { kind: 'param', name: 'crit' }, 'asc').map((r) => r.number), [1, 3, 0, 2, 4, 5]);
    assert.deepEqual(sortRows(rows, { kind: 'duration' }, 'asc').map((r) => r.number).slice(0, 2), [1, 0]);
    assert.deepEqual(orderedParams(S, { crit: 0.1, lr: 0.7, n: 0.2 }), ['lr', 'n', 'crit']);
  });
});

describe('tuning panel: contract', () => {
  it('carries NaN and infinities through JSON', () => {
    const s = study([trial(0, NaN, {}), trial(1, Infinity, {}, { intermediate: [{ step: 0, value: -Infinity }] })]);
    const back = fromWireStudy(JSON.parse(JSON.stringify(toWireStudy(s))));
    assert.ok(Number.isNaN(back.trials[0].values![0]));
    assert.equal(back.trials[1].values![0], Infinity);
    assert.equal(back.trials[1].intermediate[0].value, -Infinity);
  });

  it('validates what the webview sends', () => {
    assert.deepEqual(parseFromTuning({ type: 'selectStudy', id: 'abc' }), { type: 'selectStudy', id: 'abc' });
    assert.deepEqual(parseFromTuning({ type: 'copyParams', number: 3 }), { type: 'copyParams', number: 3 });
    assert.deepEqual(parseFromTuning({ type: 'stop', extra: 1 }), { type: 'stop' });
    assert.throws(() => parseFromTuning({ type: 'copyParams', number: -1 }));
    assert.throws(() => parseFromTuning({ type: 'selectStudy' }));
    assert.throws(() => parseFromTuning({ type: 'rm -rf' }));
    assert.ok(isTuningPanelState({ source: { kind: 'file', file: '/x.db', study: 'a' } }));
    assert.ok(isTuningPanelState({ source: { kind: 'run', runId: 'r' } }));
    assert.ok(!isTuningPanelState({ source: { kind: 'file' } }));
  });
});

describe('tuning launches', () => {
  it('runs python -m mlwb tune with its arguments, named after the tuned file', () => {
    const spec = { script: '/w/tune.json', args: [], cwd: '/w', python: '/usr/bin/python3', env: {}, subcommand: 'tune' as const, runnerArgs: ['--spec', '/w/tune.json', '--n-trials', '5'] };
    assert.deepEqual(runnerInvocation(spec, '/r', '/p', '/s', {}).args, ['-m', 'mlwb', 'tune', '--spec', '/w/tune.json', '--n-trials', '5']);
    assert.equal(terminalName(spec), 'mlwb tune: tune.json');
  });

  it('turns options into flags, and into a spec for what has no flag', () => {
    assert.deepEqual(tuneRunnerArgs({ spec: '/w/a.tune.json' }, { nTrials: 5, sampler: 'random', timeout: 30, nJobs: 2, seed: 0 }), [
      '--spec', '/w/a.tune.json', '--n-trials', '5', '--timeout', '30', '--sampler', 'random', '--n-jobs', '2', '--seed', '0',
    ]);
    assert.deepEqual(tuneRunnerArgs({ script: '/w/t.py' }), ['--script', '/w/t.py']);
    assert.throws(() => tuneRunnerArgs({}));
    assert.equal(needsSpec({ nTrials: 3 }), false);
    assert.equal(needsSpec({ direction: 'maximize' }), true);
    assert.deepEqual(generatedSpec('/w/train.py', { direction: 'maximize', pruner: 'none', cv: 3, scoring: 'f1', nTrials: 4 }), {
      study_name: 'train', script: '/w/train.py', direction: 'maximize', n_trials: 4, pruner: 'none', cv: 3, scoring: 'f1',
    });
    assert.ok(isTuneSpecFile('/w/rf.tune.json') && isTuneSpecFile('x.tune.YML') && !isTuneSpecFile('/w/package.json'));
  });

  it('tells scripts with an objective from scripts that run their own optuna study', () => {
    assert.equal(scriptKind('from mlwb import tune\n@tune.objective(direction="maximize")\ndef f(trial): ...'), 'objective');
    assert.equal(scriptKind('def objective(trial):\n    return 1'), 'objective');
    assert.equal(scriptKind('import optuna\nstudy = optuna.create_study()\nstudy.optimize(f, n_trials=3)'), 'optuna');
    assert.equal(scriptKind('print(1)'), 'none');
  });

  it('trains with the best params through the spec and script the session recorded, or says why not', () => {
    const s = { ...S, config: { spec: '/w/rf.tune.json', script: '/w/train.py' } };
    const plan = trainPlan(s);
    assert.ok('args' in plan);
    assert.deepEqual(plan.args, ['--spec', '/w/rf.tune.json', '--script', '/w/train.py', '--params', '{"n":100,"lr":0.1,"crit":"entropy"}', '--from', 's1#3']);
    assert.equal(plan.target, '/w/train.py');
    const fromRun = trainPlan({ ...S, config: {} }, '/w/own.py');
    assert.ok('args' in fromRun && fromRun.args[1] === '/w/own.py');
    assert.match((trainPlan({ ...S, config: {} }) as { reason: string }).reason, /does not say/);
    assert.match((trainPlan({ ...S, source: 'optuna' }) as { reason: string }).reason, /its own optuna study/);
    assert.match((trainPlan({ ...S, source: 'optuna-sqlite' }) as { reason: string }).reason, /file/);
    assert.match((trainPlan(study([trial(0, null, {})])) as { reason: string }).reason, /no trial has completed/);
    assert.deepEqual(trainedFrom({ 'tuned.session': 's1', 'tuned.trial': 3 }), { session: 's1', trial: 3 });
    assert.equal(trainedFrom({ lr: 1 }), undefined);
  });
});

describe('optuna study files', () => {
  it('says clearly when a file is not an optuna study', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-study-'));
    try {
      const log = path.join(dir, 'server.log');
      fs.writeFileSync(log, 'GET / 200\nGET /x 404\n');
      await assert.rejects(readStudyFile(log, WASM), /server\.log is not an Optuna study file/);
      const db = path.join(dir, 'other.db');
      const SQL = await (await import('sql.js')).default({ locateFile: () => WASM });
      const d = new SQL.Database();
      d.run('CREATE TABLE t (x)');
      fs.writeFileSync(db, d.export());
      await assert.rejects(readStudyFile(db, WASM), /other\.db is not an Optuna study file: .*no studies\/trials tables/);
      const empty = path.join(dir, 'empty.log');
      fs.writeFileSync(empty, '');
      await assert.rejects(readStudyFile(empty, WASM), /holds no study/);
      await assert.rejects(readStudyFile(path.join(dir, 'missing.db'), WASM), /Cannot read missing\.db/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
