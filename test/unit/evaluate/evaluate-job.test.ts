import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  comparisonDir, evaluateArgs, fileEvaluationDir, launchEvaluate, launchSignature, launchSmoke, sha256File, smokeArgs,
  type EvaluateModel, type EvaluateRequest, type JobProgress,
} from '../../../src/evaluate/evaluate-job';
import { EvaluationFileError, metricRows, panelData, readEvaluationText } from '../../../src/evaluate/evaluation-file';

const REPO = path.resolve(__dirname, '../../../..');
const RUNNER_DIR = path.join(REPO, 'python-runner');
const PY = '/usr/bin/python3';
const SHA = 'a'.repeat(64);

describe('evaluate job: the command lines', () => {
  const m = (file: string): EvaluateModel => ({ file, sha256: SHA.toUpperCase(), title: file });

  it('one model into a directory, two compared with resamples and seed; the hash always goes along', () => {
    assert.deepEqual(evaluateArgs({ models: [m('a.pkl')], data: 'd.csv', target: 'y', out: 'o' }), [
      '-m', 'mlwb', 'evaluate', '--model', 'a.pkl', '--model-sha256', SHA, '--data', 'd.csv', '--target', 'y', '--out', 'o',
    ]);
    assert.deepEqual(evaluateArgs({ models: [m('a.pkl'), m('b.pkl')], data: 'd.csv', target: 'y', run: 'r1', resamples: 200.7, seed: 3 }), [
      '-m', 'mlwb', 'evaluate', '--model', 'a.pkl', '--model', 'b.pkl', '--model-sha256', SHA, '--model-sha256', SHA,
      '--data', 'd.csv', '--target', 'y', '--run', 'r1', '--compare', '--resamples', '200', '--seed', '3',
    ]);
    assert.deepEqual(smokeArgs({ model: m('a.pkl'), data: 'd.csv', target: 'y', requests: 50, signature: 's.json' }), [
      '-m', 'mlwb', 'smoke', '--model', 'a.pkl', '--model-sha256', SHA, '--data', 'd.csv', '--target', 'y', '--requests', '50', '--signature', 's.json',
    ]);
  });

  it('refuses requests that cannot work, in words', () => {
    assert.throws(() => evaluateArgs({ models: [m('a')], data: 'd', target: 'y' }), /exactly one/);
    assert.throws(() => evaluateArgs({ models: [m('a')], data: 'd', target: 'y', out: 'o', run: 'r' }), /exactly one/);
    assert.throws(() => evaluateArgs({ models: [m('a')], data: 'd', target: '', out: 'o' }), /target/);
    assert.throws(() => evaluateArgs({ models: [{ file: 'a', sha256: 'abc', title: 'a' }], data: 'd', target: 'y', out: 'o' }), /not a sha256/);
  });

  it('result directories: one per file, one per (A, B, data) comparison', () => {
    const a = fileEvaluationDir('/s', '/w/m.pkl');
    assert.match(a, /^\/s\/evaluations\/m\.pkl-[0-9a-f]{10}$/);
    assert.notEqual(a, fileEvaluationDir('/s', '/other/m.pkl'));
    const x = comparisonDir('/s', m('a v1'), m('a v2'), '/d.csv');
    assert.match(x, /^\/s\/evaluations\/compare\/a_v1-vs-a_v2-[0-9a-f]{10}$/);
    assert.notEqual(x, comparisonDir('/s', m('a v1'), m('a v2'), '/e.csv'));
  });
});

describe('evaluation files', () => {
  it('refuses what it cannot read, naming the field', () => {
    assert.throws(() => readEvaluationText('nope'), EvaluationFileError);
    assert.throws(() => readEvaluationText('{"format": 2}'), /format 2/);
    assert.throws(() => readEvaluationText('{"format": 1, "task": "ranking", "main_metric": "x", "metrics": {}}'), /task/);
    assert.throws(() => readEvaluationText('{"format": 1, "task": "binary", "main_metric": "accuracy", "metrics": {}}'), /confusion/);
  });
});

describe('evaluate and smoke jobs against the real Python runner', function () {
  this.timeout(120_000);
  let dir: string;
  const logs: string[] = [];
  const model = async (name: string): Promise<EvaluateModel> => ({ file: path.join(dir, name), sha256: await sha256File(path.join(dir, name)), title: name });
  const opts = () => ({ python: PY, runnerDir: RUNNER_DIR, storeDir: path.join(dir, '.mlwb'), cwd: dir, killGraceMs: 3000, log: (l: string) => logs.push(l) });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-evaluate-'));
    execFileSync(PY, [path.join(REPO, 'test/vscode/fixtures/evaluate_models.py'), dir, '--slow']);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('one classifier: progress through the stages, evaluation.json readable with the numbers the panel shows', async () => {
    const request: EvaluateRequest = { models: [await model('good.pkl')], data: path.join(dir, 'cancer.csv'), target: 'label', out: path.join(dir, 'one') };
    const job = launchEvaluate(request, opts());
    const stages: JobProgress[] = [];
    job.onProgress((p) => stages.push(p));
    const outcome = await job.finished;
    assert.equal(outcome.status, 'completed', `${JSON.stringify(outcome)}\n${logs.join('\n')}`);
    assert.equal(outcome.resultPath, path.join(dir, 'one', 'evaluation.json'));
    const file = readEvaluationText(fs.readFileSync(outcome.resultPath!, 'utf8'));
    assert.equal(file.kind, 'evaluation');
    if (file.kind !== 'evaluation') return;
    assert.equal(file.evaluation.task, 'binary');
    assert.ok(file.evaluation.metrics.accuracy > 0.95, String(file.evaluation.metrics.accuracy));
    assert.equal(file.evaluation.model.sha256, request.models[0].sha256);
    const data = panelData(file, outcome.resultPath!, 'Evaluate: good', ['good v1']);
    assert.equal(data.sides[0].name, 'good v1');
    assert.equal(metricRows(data.sides)[0], 'accuracy', 'the main metric first');
    for (const stage of ['load', 'predict', 'metrics', 'write']) assert.ok(stages.some((p) => p.stage === stage), `stage ${stage} in ${stages.map((s) => s.stage)}`);
  });

  it('two compared on the same rows: deltas B − A, a bootstrap interval and McNemar', async () => {
    const job = launchEvaluate({ models: [await model('good.pkl'), await model('weak.pkl')], data: path.join(dir, 'cancer.csv'), target: 'label', out: path.join(dir, 'cmp'), resamples: 200 }, opts());
    const outcome = await job.finished;
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    const file = readEvaluationText(fs.readFileSync(outcome.resultPath!, 'utf8'));
    assert.equal(file.kind, 'comparison');
    if (file.kind !== 'comparison') return;
    assert.ok(Math.abs(file.comparison.delta.accuracy - (file.b.metrics.accuracy - file.a.metrics.accuracy)) < 1e-12);
    assert.ok(file.comparison.delta.accuracy < 0, 'the stump is worse');
    const b = file.comparison.bootstrap!;
    assert.equal(b.resamples, 200);
    assert.ok(b.low <= b.difference && b.difference <= b.high);
    assert.ok(file.comparison.mcnemar!.b01 > file.comparison.mcnemar!.b10);
  });

  it('a hash that is not the file’s: failed (exit 2) with the runner’s message, nothing loaded', async () => {
    const outcome = await launchEvaluate({ models: [{ ...(await model('good.pkl')), sha256: SHA }], data: path.join(dir, 'cancer.csv'), target: 'label', out: path.join(dir, 'bad') }, opts()).finished;
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.exitCode, 2);
    assert.match(outcome.error ?? '', /sha256/);
    assert.equal(fs.existsSync(path.join(dir, 'bad')), false);
  });

  it('a target column the CSV lacks: failed, naming it', async () => {
    const outcome = await launchEvaluate({ models: [await model('good.pkl')], data: path.join(dir, 'cancer.csv'), target: 'no_such', out: path.join(dir, 'bad2') }, opts()).finished;
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /no_such/);
  });

  it('cancel while predicting: cancelled (exit 130), nothing written', async () => {
    const out = path.join(dir, 'cancelled');
    const job = launchEvaluate({ models: [await model('slow.pkl')], data: path.join(dir, 'slow.csv'), target: 'y', out }, opts());
    await new Promise<void>((resolve) => job.onProgress((p) => p.stage.startsWith('predict') && resolve()));
    job.cancel();
    const outcome = await job.finished;
    assert.equal(outcome.status, 'cancelled', JSON.stringify(outcome));
    assert.equal(fs.existsSync(path.join(out, 'evaluation.json')), false);
  });

  it('smoke: the model served on loopback, latencies and no errors', async () => {
    const outcome = await launchSmoke({ model: await model('good.pkl'), data: path.join(dir, 'cancer.csv'), target: 'label', requests: 40 }, opts()).finished;
    assert.equal(outcome.status, 'completed', `${JSON.stringify(outcome)}\n${logs.slice(-20).join('\n')}`);
    assert.equal(outcome.result?.requests, 40);
    assert.equal(outcome.result?.errors, 0);
    assert.equal(typeof outcome.result?.p95_ms, 'number');
  });

  it('signature of the data (target left out), and a smoke test through it: no errors as served with it', async () => {
    const sig = await launchSignature({ data: path.join(dir, 'cancer.csv'), target: 'label' }, opts()).finished;
    assert.equal(sig.status, 'completed', JSON.stringify(sig));
    const columns = sig.result?.columns as { name: string; type: string }[];
    assert.equal(columns.length, 30);
    assert.ok(!columns.some((c) => c.name === 'label'));
    const file = path.join(dir, 'signature.json');
    fs.writeFileSync(file, JSON.stringify(sig.result));
    const smoke = await launchSmoke({ model: await model('good.pkl'), data: path.join(dir, 'cancer.csv'), target: 'label', requests: 20, signature: file }, opts()).finished;
    assert.equal(smoke.status, 'completed', JSON.stringify(smoke));
    assert.equal(smoke.result?.errors, 0);
    // A signature naming a column the rows lack: every request is refused (422), counted as errors.
    fs.writeFileSync(file, JSON.stringify({ ...sig.result, columns: [...columns, { name: 'not_in_csv', type: 'float', nullable: false }] }));
    const refused = await launchSmoke({ model: await model('good.pkl'), data: path.join(dir, 'cancer.csv'), target: 'label', requests: 5, signature: file }, opts()).finished;
    assert.equal(refused.result?.errors, 5, JSON.stringify(refused));
  });
});
