// Guarantee: the extension passes the sha256 the user agreed to with every model load (serve, predict, explain,
// infer), and the real runner refuses a file swapped after the question (its bytes hash differently).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainArgs, launchExplain } from '../../../src/explain/explain-process';
import { inferArgs } from '../../../src/modelspec/infer';
import { sha256File } from '../../../src/platform/file-hash';
import { PredictJob, predictInvocation } from '../../../src/serving/predict-job';
import { ServeProcess, serveInvocation, type ServeOptions } from '../../../src/serving/serve-process';

const REPO = path.resolve(__dirname, '../../../..');
const RUNNER_DIR = path.join(REPO, 'python-runner');
const PY = process.env.MLWB_PYTHON ?? '/usr/bin/python3';

/** Two different pickled iris trees (the agreed one, and what replaces it), and the CSV. */
function models(dir: string): void {
  execFileSync(PY, ['-c', `
import pickle, sys, os
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier
d = load_iris(as_frame=True)
for name, depth in (("agreed.pkl", 1), ("other.pkl", 3)):
    pickle.dump(DecisionTreeClassifier(max_depth=depth).fit(d.data, d.target), open(os.path.join(sys.argv[1], name), "wb"))
d.frame.to_csv(os.path.join(sys.argv[1], "iris.csv"), index=False)
`, dir]);
}

describe('model consent: the agreed sha256 goes to Python, which refuses other bytes', function () {
  this.timeout(90_000);
  let dir: string;
  let model: string;
  let agreed: string;
  const serveOpts = (sha256?: string): ServeOptions => ({
    python: PY, runnerDir: RUNNER_DIR, model, sha256, name: 'iris', version: '1', host: '127.0.0.1', port: 0, maxBatch: 8, maxWaitMs: 1, maxBodyMb: 1,
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-consent-'));
    models(dir);
    model = path.join(dir, 'model.pkl');
    fs.copyFileSync(path.join(dir, 'agreed.pkl'), model);
    agreed = await sha256File(model);
    // The question was asked about these bytes; then the file at that path is swapped.
    fs.copyFileSync(path.join(dir, 'other.pkl'), model);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hashes a file as Python does (sha256 of its bytes)', async () => {
    assert.equal(agreed, createHash('sha256').update(fs.readFileSync(path.join(dir, 'agreed.pkl'))).digest('hex'));
  });

  it('every command line carries the hash when one was agreed, and none otherwise', () => {
    const serve = serveInvocation(serveOpts(agreed)).args;
    assert.deepEqual(serve.slice(serve.indexOf('--model-sha256'), serve.indexOf('--model-sha256') + 2), ['--model-sha256', agreed]);
    assert.ok(!serveInvocation(serveOpts()).args.includes('--model-sha256'));
    const predict = predictInvocation({ python: PY, runnerDir: RUNNER_DIR, model, sha256: agreed, input: 'x.csv', jobId: 'j' }, 'out.csv').args;
    assert.equal(predict[predict.indexOf('--model-sha256') + 1], agreed);
    const explain = explainArgs({ model, sha256: agreed, data: 'x.csv', out: 'o' });
    assert.equal(explain[explain.indexOf('--model-sha256') + 1], agreed);
    const infer = inferArgs('w.pt', [1, 2], agreed);
    assert.equal(infer[infer.indexOf('--sha256') + 1], agreed);
    assert.ok(!inferArgs('w.pt', [1]).includes('--sha256'));
  });

  it('serve: a swapped file does not start, saying the hash differs; its own hash serves', async () => {
    const refused = await ServeProcess.start(serveOpts(agreed));
    await assert.rejects(refused.whenReady(), new RegExp(`not the ${agreed} that was agreed to`));
    const now = await sha256File(model);
    const served = await ServeProcess.start(serveOpts(now));
    try {
      assert.equal((await served.whenReady()).sha256, now);
    } finally {
      await served.stop();
    }
  });

  it('predict: a swapped file is refused, nothing written', async () => {
    const output = path.join(dir, 'p.csv');
    const job = await PredictJob.start({ python: PY, runnerDir: RUNNER_DIR, model, sha256: agreed, input: path.join(dir, 'iris.csv'), output, jobId: 'j1' });
    const result = await job.finished;
    assert.equal(result.status, 'error', JSON.stringify(result));
    assert.match(`${result.error ?? ''} ${result.message ?? ''}`, /that was agreed to/);
    assert.ok(!fs.existsSync(output));
  });

  it('explain: a swapped file is refused (exit 2), nothing written', async () => {
    const logs: string[] = [];
    const job = await launchExplain({ model, sha256: agreed, data: path.join(dir, 'iris.csv'), out: path.join(dir, 'out') }, {
      python: PY, runnerDir: RUNNER_DIR, storeDir: path.join(dir, '.mlwb'), cwd: dir, cancelGraceMs: 2000, killGraceMs: 2000,
      log: (l) => logs.push(l), warn: (l) => logs.push(l),
    });
    const outcome = await job.finished;
    assert.equal(outcome.status, 'failed', logs.join('\n'));
    assert.equal(outcome.exitCode, 2);
    assert.match(outcome.error ?? '', new RegExp(`its sha256 is [0-9a-f]{64}, not the ${agreed} that was agreed to`));
    assert.ok(!fs.existsSync(path.join(dir, 'out', 'explain.json')));
  });
});
