import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openStore, removeTempStores, tempStore } from './helpers';

const RUNNER_DIR = path.resolve(__dirname, '../../../../python-runner');

/**
 * The real Python SDK writes a run; the TypeScript store must read back exactly what was written.
 * The script also dumps what it logged, from its own side, as the expectation.
 */
const SCRIPT = String.raw`
import json, math, os, sys
from mlwb import Experiment

out = sys.argv[1]
src = os.path.join(os.path.dirname(out), "weights.bin")
with open(src, "wb") as f:
    f.write(bytes(range(256)) * 10)

def enc(v):
    # JSON has no NaN or infinity: the expectation spells them out.
    return "nan" if math.isnan(v) else "inf" if math.isinf(v) else v

expected = {"metrics": {}, "logs": []}
with Experiment("team/cross/lang", root=os.environ["STORE"], tags=["x"]).run as exp:
    params = dict(lr=0.001, name="résumé ✓", layers=[64, 32], model=dict(depth=3, act="relu", nested=dict(flag=True)), none=None)
    exp.params.set(**params)
    expected["params"] = exp.params.get()
    for step in range(2500):
        v = math.sin(step / 50.0)
        if step == 7:
            v = float("nan")
        if step == 8:
            v = float("inf")
        exp.metrics("train").log(step=step, loss=v)
        expected["metrics"].setdefault("train/loss", []).append([step, enc(v)])
    for epoch in range(3):
        exp.metrics.log(epoch=epoch, eval=dict(acc=0.5 + epoch / 10, f1=0.25 * epoch))
        expected["metrics"].setdefault("eval/acc", []).append([epoch, 0.5 + epoch / 10])
        expected["metrics"].setdefault("eval/f1", []).append([epoch, 0.25 * epoch])
    for level in ["debug", "info", "warn", "error", "fatal"]:
        exp.log(f"{level} message ünïcode", level=level, code=level.upper())
        expected["logs"].append([level, f"{level} message ünïcode", {"code": level.upper()}])
    saved = exp.files("models/best").save(src, description="weights", tags=["best"])
    expected["file"] = saved
    expected["run_id"] = exp.id

with open(out, "w") as f:
    json.dump(expected, f, allow_nan=False)
`;

describe('cross-language: the Python SDK writes, the TypeScript store reads back exactly', function () {
  this.timeout(60_000);
  after(removeTempStores);

  it('every param, metric point, log line and file', async () => {
    const root = tempStore();
    fs.mkdirSync(root, { recursive: true });
    const script = path.join(path.dirname(root), 'write.py');
    const expectedFile = path.join(path.dirname(root), 'expected.json');
    fs.writeFileSync(script, SCRIPT);
    const r = spawnSync('/usr/bin/python3', [script, expectedFile], { env: { ...process.env, PYTHONPATH: RUNNER_DIR, STORE: root, MLWB_STORE: '' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
    const store = await openStore(root);
    try {
      const run = store.getRun(expected.run_id, { logLimit: 100 })!;
      assert.ok(run, 'the run is in the store');
      assert.equal(run.status, 'completed');
      assert.equal(run.experiment, 'team/cross/lang');
      assert.deepEqual(run.params, expected.params);

      for (const [key, points] of Object.entries(expected.metrics as Record<string, [number, number | string][]>)) {
        // Width large enough that nothing is downsampled: every point comes back.
        const series = store.getSeries(run.id, key, { width: points.length })!;
        assert.equal(series.total, points.length, key);
        assert.deepEqual(series.step, points.map((p) => p[0]), `${key} steps`);
        const want = points.map((p) => (p[1] === 'nan' ? NaN : p[1] === 'inf' ? Infinity : p[1]));
        series.y.forEach((y, i) => assert.ok(Object.is(y, want[i]) || y === want[i], `${key}[${i}]: ${y} != ${want[i]}`));
      }

      const logs = run.logs.filter((l) => !l.stream).map((l) => [l.level, l.msg, l.meta]);
      assert.deepEqual(logs, expected.logs);

      const file = run.files.find((f) => f.id === expected.file.id)!;
      assert.equal(file.path, expected.file.path);
      assert.equal(file.sha256, expected.file.sha256);
      assert.equal(file.size, 2560);
      assert.deepEqual(file.tags, ['best']);
      assert.equal(file.description, 'weights');
      assert.ok(fs.existsSync(path.join(root, 'runs', run.id, 'files', file.path)), 'the bytes are in the run directory');
    } finally {
      await store.close();
    }
  });

  it('MLflow tags and nested runs written through the runner read back as the stand-in reads them', async () => {
    const root = tempStore();
    fs.mkdirSync(root, { recursive: true });
    const script = path.join(path.dirname(root), 'nested.py');
    const expectedFile = path.join(path.dirname(root), 'expected-nested.json');
    fs.writeFileSync(script, MLFLOW_SCRIPT);
    const r = spawnSync('/usr/bin/python3', ['-m', 'mlwb', 'run', script, expectedFile], {
      env: { ...process.env, PYTHONPATH: RUNNER_DIR, MLWB_STORE: root }, encoding: 'utf8', cwd: path.dirname(root),
    });
    assert.equal(r.status, 0, r.stderr);
    const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
    const store = await openStore(root);
    try {
      const parent = store.getRun(expected.parent.id)!;
      const child = store.getRun(expected.child.id)!;
      assert.equal(parent.experiment, 'xl');
      // The index's tags are the Python side's MLflow tags, each as `key` or `key=value` (mlflow.* ones are derived there).
      const labels = (tags: Record<string, string>) => Object.entries(tags).filter(([k]) => !k.startsWith('mlflow.')).map(([k, v]) => (v ? `${k}=${v}` : k)).sort();
      assert.deepEqual(parent.tags, labels(expected.parent.tags));
      assert.deepEqual(parent.tags, ['flag', 'stage=y', 'team=a']);
      assert.equal(expected.child.tags['mlflow.parentRunId'], parent.id);
      assert.deepEqual(child.parentRun, { id: parent.id, name: 'parent', status: 'completed' });
      assert.deepEqual(parent.children.map((c) => c.name), ['child']);
      assert.deepEqual(store.getSeries(child.id, 'm', { width: 10 })?.step, [3]);
    } finally {
      await store.close();
    }
  });
});

const MLFLOW_SCRIPT = String.raw`
import json, sys
import mlflow
mlflow.set_experiment("xl")
with mlflow.start_run(run_name="parent", tags={"team": "a", "gone": "x"}) as p:
    mlflow.set_tag("stage", "x")
    mlflow.set_tag("stage", "y")
    mlflow.set_tag("flag", "")
    mlflow.delete_tag("gone")
    with mlflow.start_run(run_name="child", nested=True) as c:
        mlflow.log_metric("m", 1.0, step=3)
out = {k: {"id": r.info.run_id, "tags": mlflow.get_run(r.info.run_id).data.tags} for k, r in (("parent", p), ("child", c))}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
`;
