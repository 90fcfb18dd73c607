import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TuningStudy } from '../../../src/tuning/model';
import { parsePythonJson, readOptunaJournal, readOptunaJournalFile } from '../../../src/tuning/readers/optuna-journal';
import { readOptunaSqliteFile } from '../../../src/tuning/readers/optuna-sqlite';
import { mdiImportance, paramImportance } from '../../../src/tuning/analysis';

const WASM = require.resolve('sql.js/dist/sql-wasm.wasm');
const PYTHON = process.env.MLWB_TEST_PYTHON ?? '/usr/bin/python3';

/**
 * Real optuna (Debian's 3.1) writes studies to SQLite and to a JournalFileStorage log; it also dumps its own
 * `study.trials` for each. Our readers must give back exactly the same thing, field by field.
 */
const SCRIPT = String.raw`
import json, math, sys, warnings
import optuna
from optuna.storages import JournalStorage, JournalFileStorage
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
out = sys.argv[1]

def enc(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
    return v

def objective(trial):
    kind = trial.suggest_categorical("kind", ["svm", "tree", 3, 2.5, None, True])
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    depth = trial.suggest_int("depth", 1, 64, log=True)
    step = trial.suggest_int("units", 16, 128, step=16)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.1)
    u = trial.suggest_float("u", -3.0, 3.0)
    if kind == "tree":
        trial.suggest_int("leaves", 2, 10)   # conditional parameter
    trial.set_user_attr("note", {"n": trial.number, "s": "é"})
    if trial.number == 4:
        raise RuntimeError("failed on purpose")
    for s in range(4):
        v = u * u + s * lr
        if trial.number == 6 and s == 1:
            v = float("nan")
        if trial.number == 7 and s == 2:
            v = float("inf")
        trial.report(v, s * 10)
        if trial.number in (2, 5) and s == 2:
            raise optuna.TrialPruned()
    if trial.number == 8:
        return float("-inf")
    return u * u + depth / 100.0

def two(trial):
    x = trial.suggest_float("x", 0, 5)
    y = trial.suggest_int("y", 0, 3)
    return x * x + y, (x - 2) ** 2 - y

def fill(storage):
    s1 = optuna.create_study(storage=storage, study_name="single", direction="minimize",
                             sampler=optuna.samplers.RandomSampler(seed=1))
    s1.set_user_attr("dataset", "breast_cancer")
    s1.enqueue_trial({"kind": "tree", "lr": 0.01, "depth": 4, "units": 32, "q": 0.5, "u": 0.25, "leaves": 3})
    s1.optimize(objective, n_trials=12, catch=(RuntimeError,))
    s1.enqueue_trial({"u": 1.0})  # stays WAITING
    s2 = optuna.create_study(storage=storage, study_name="multi", directions=["minimize", "maximize"],
                             sampler=optuna.samplers.NSGAIISampler(seed=2))
    s2.optimize(two, n_trials=10)
    gone = optuna.create_study(storage=storage, study_name="deleted")
    gone.optimize(lambda t: t.suggest_float("z", 0, 1), n_trials=2)
    optuna.delete_study(study_name="deleted", storage=storage)
    s3 = optuna.create_study(storage=storage, study_name="maxi", direction="maximize")
    s3.optimize(lambda t: t.suggest_float("w", 0, 1), n_trials=3)
    t = s3.ask()            # a RUNNING trial left open
    t.suggest_float("w", 0, 1)
    s3.add_trial(optuna.trial.create_trial(params={"w": 0.5}, distributions={"w": optuna.distributions.FloatDistribution(0, 1)},
                                           value=0.5, intermediate_values={0: 0.1, 3: 0.4}, user_attrs={"added": True}))
    return [s1, s2, s3]

def dump(studies):
    res = []
    for s in studies:
        res.append({
            "name": s.study_name, "directions": [d.name.lower() for d in s.directions], "user_attrs": s.user_attrs,
            "best": sorted(t.number for t in s.best_trials),
            "trials": [{
                "number": t.number, "state": t.state.name.lower(), "params": t.params,
                "values": None if t.values is None else [enc(v) for v in t.values],
                "intermediate": [[k, enc(v)] for k, v in sorted(t.intermediate_values.items())],
                "datetime_start": t.datetime_start.isoformat(timespec="microseconds") if t.datetime_start else None,
                "datetime_complete": t.datetime_complete.isoformat(timespec="microseconds") if t.datetime_complete else None,
                "user_attrs": t.user_attrs,
            } for t in s.trials],
        })
    return res

expected = {}
db = out + "/studies.db"
expected["sqlite"] = dump(fill("sqlite:///" + db))
log = out + "/studies.log"
expected["journal"] = dump(fill(JournalStorage(JournalFileStorage(log))))
# what a fresh reader of each storage sees (must be the same as the writer's view)
assert dump([optuna.load_study(study_name=n, storage="sqlite:///" + db) for n in ("single", "multi", "maxi")]) == expected["sqlite"]
with open(out + "/expected.json", "w") as f:
    json.dump(expected, f)
`;

interface Expected {
  name: string;
  directions: string[];
  user_attrs: Record<string, unknown>;
  best: number[];
  trials: {
    number: number; state: string; params: Record<string, unknown>; values: (number | string)[] | null;
    intermediate: [number, number | string][]; datetime_start: string | null; datetime_complete: string | null;
    user_attrs: Record<string, unknown>;
  }[];
}

function dec(v: number | string): number {
  return typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}

function compare(got: TuningStudy[], expected: Expected[]): void {
  assert.deepEqual(got.map((s) => s.studyName), expected.map((s) => s.name));
  for (const [i, e] of expected.entries()) {
    const s = got[i];
    assert.deepEqual(s.directions, e.directions);
    assert.deepEqual(s.userAttrs, e.user_attrs);
    assert.deepEqual([...s.bestTrials].sort((a, b) => a - b), e.best, `${e.name}: best trials`);
    assert.equal(s.trials.length, e.trials.length, `${e.name}: trial count`);
    for (const [j, et] of e.trials.entries()) {
      const t = s.trials[j];
      const where = `${e.name} trial ${et.number}`;
      assert.equal(t.number, et.number, where);
      assert.equal(t.state, et.state, where);
      assert.deepEqual(t.params, et.params, `${where}: params`);
      assert.deepEqual(t.values, et.values === null ? null : et.values.map(dec), `${where}: values`);
      assert.deepEqual(t.intermediate.map((p) => [p.step, p.value]), et.intermediate.map(([k, v]) => [k, dec(v)]), `${where}: intermediate`);
      assert.equal(t.datetimeStart ?? null, et.datetime_start, `${where}: datetime_start`);
      assert.equal(t.datetimeComplete ?? null, et.datetime_complete, `${where}: datetime_complete`);
      assert.deepEqual(t.userAttrs, et.user_attrs, `${where}: user attrs`);
    }
  }
}

describe('optuna study files: SQLite and JournalFileStorage read exactly as optuna reads them', function () {
  this.timeout(120_000);
  let dir: string;
  let expected: { sqlite: Expected[]; journal: Expected[] };

  before(function () {
    const probe = spawnSync(PYTHON, ['-c', 'import optuna'], { encoding: 'utf8' });
    if (probe.status !== 0) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-optuna-'));
    const r = spawnSync(PYTHON, ['-c', SCRIPT, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('SQLite (RDB storage): every study, trial, decoded param, value, intermediate value and timestamp', async () => {
    const studies = await readOptunaSqliteFile(path.join(dir, 'studies.db'), WASM);
    compare(studies, expected.sqlite);
    const single = studies[0];
    assert.equal(single.source, 'optuna-sqlite');
    assert.deepEqual(single.space.kind, { type: 'categorical', choices: ['svm', 'tree', 3, 2.5, null, true] });
    assert.deepEqual(single.space.lr, { type: 'float', low: 1e-5, high: 1e-1, log: true });
    assert.deepEqual(single.space.units, { type: 'int', low: 16, high: 128, step: 16 });
    assert.deepEqual(single.space.depth, { type: 'int', low: 1, high: 64, log: true });
    assert.equal(single.status, 'running'); // a waiting trial
    assert.ok(single.bestSoFar && single.bestSoFar.length === single.trials.length);
    assert.equal(studies[1].bestSoFar, undefined);
  });

  it('JournalFileStorage log, replayed (a deleted study is gone; Python NaN/Infinity read)', () => {
    const studies = readOptunaJournalFile(path.join(dir, 'studies.log'));
    compare(studies, expected.journal);
    assert.equal(studies[0].source, 'optuna-journal');
    assert.ok(!studies.some((s) => s.studyName === 'deleted'));
  });

  it('a torn last journal line is left out; a corrupt line before the end is an error', () => {
    const text = fs.readFileSync(path.join(dir, 'studies.log'), 'utf8');
    const lines = text.split('\n').filter(Boolean);
    const torn = lines.slice(0, 5).join('\n') + '\n' + lines[5].slice(0, 10);
    assert.equal(readOptunaJournal(torn, 'x.log').length, readOptunaJournal(lines.slice(0, 5).join('\n') + '\n', 'x.log').length);
    assert.throws(() => readOptunaJournal(lines.slice(0, 2).join('\n') + '\n{oops\n' + lines[2] + '\n', 'x.log'), /x\.log:3/);
  });

  it('our importance ranks the parameter that drives the objective first', () => {
    const single = readOptunaJournalFile(path.join(dir, 'studies.log'))[0];
    const imp = paramImportance(single);
    assert.equal(imp.method, 'mdi-forest');
    assert.equal(Object.keys(imp.values)[0], 'u');
    assert.ok(Math.abs(Object.values(imp.values).reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });
});

describe('tuning analysis helpers', () => {
  it('parses Python JSON with bare NaN/Infinity, not inside strings', () => {
    assert.deepEqual(parsePythonJson('{"a": NaN, "b": [Infinity, -Infinity], "s": "NaN Infinity"}'), { a: NaN, b: [Infinity, -Infinity], s: 'NaN Infinity' });
  });

  it('mdi importance: an irrelevant parameter gets (almost) nothing; too few trials give zeros', () => {
    const trials = Array.from({ length: 40 }, (_, i) => {
      const a = (i * 7919) % 97 / 97;
      const b = (i * 104729) % 89 / 89;
      return { number: i, state: 'complete' as const, params: { a, b }, distributions: {}, values: [a * 10], intermediate: [] };
    });
    const space = { a: { type: 'float' as const, low: 0, high: 1 }, b: { type: 'float' as const, low: 0, high: 1 } };
    const imp = mdiImportance(trials, space);
    assert.ok(imp.a > 0.95, JSON.stringify(imp));
    assert.deepEqual(mdiImportance(trials.slice(0, 1), space), { a: 0, b: 0 });
  });
});
