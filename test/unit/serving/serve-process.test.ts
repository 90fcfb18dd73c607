import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { httpRequest } from '../../../src/serving/http-client';
import { parseMetrics } from '../../../src/serving/metrics-history';
import { PredictJob } from '../../../src/serving/predict-job';
import { ServeProcess, type ServeOptions } from '../../../src/serving/serve-process';

const REPO = path.resolve(__dirname, '../../../..');
const RUNNER_DIR = path.join(REPO, 'python-runner');
const PY = process.env.MLWB_PYTHON ?? '/usr/bin/python3';
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** A RandomForest on iris (named columns), pickled by Debian's Python; and a CSV to predict. */
function train(dir: string): string {
  const model = path.join(dir, 'rf.pkl');
  execFileSync(PY, ['-c', `
import pickle, sys
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
d = load_iris(as_frame=True)
X = d.data
X.columns = ${JSON.stringify(FEATURES)}
pickle.dump(RandomForestClassifier(n_estimators=8, random_state=0).fit(X, d.target), open(sys.argv[1], 'wb'))
`, model]);
  return model;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('serving: ServeProcess and PredictJob against the real Python runner', function () {
  this.timeout(60_000);
  let dir: string;
  let model: string;
  const opts = (): ServeOptions => ({ python: PY, runnerDir: RUNNER_DIR, model, name: 'iris', version: '3', host: '127.0.0.1', port: 0, maxBatch: 64, maxWaitMs: 5, maxBodyMb: 16 });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-serve-'));
    model = train(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts, reads the ready line, answers, and stops on request (SIGTERM) with its port closed', async () => {
    const proc = await ServeProcess.start(opts());
    const states: string[] = [];
    proc.on('state', (s) => states.push(s));
    const ready = await proc.whenReady();
    assert.equal(ready.name, 'iris');
    assert.equal(ready.version, '3');
    assert.equal(ready.nFeatures, 4);
    assert.equal(proc.state, 'running');
    const ping = await httpRequest(`${ready.url}/ping`);
    assert.equal(ping.status, 200);
    const body = JSON.stringify({ dataframe_split: { columns: FEATURES, data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] } });
    const res = await httpRequest(`${ready.url}/invocations`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { predictions: [0, 2] });
    const metrics = parseMetrics(JSON.parse((await httpRequest(`${ready.url}/metrics`)).body));
    assert.equal(metrics?.requestsByPath['/invocations'], 1);
    const exit = await proc.stop();
    assert.equal(exit.state, 'stopped');
    assert.equal(exit.requested, true);
    assert.equal(exit.end?.event, 'stopped');
    assert.deepEqual(states, ['running', 'stopping', 'stopped']);
    assert.equal(await portOpen(ready.port), false);
  });

  it('a server killed with SIGKILL is a death, not a stop', async () => {
    const proc = await ServeProcess.start(opts());
    const ready = await proc.whenReady();
    process.kill(ready.pid, 'SIGKILL');
    const exit = await new Promise<import('../../../src/serving/serve-process').ServeExit>((resolve) => proc.once('exit', resolve));
    assert.equal(exit.state, 'died');
    assert.equal(exit.requested, false);
    assert.equal(exit.signal, 'SIGKILL');
    assert.match(exit.reason, /stopped unexpectedly \(killed by SIGKILL\)/);
  });

  it('a server that cannot start says why (non-loopback host without a token; a file that is no model)', async () => {
    const noToken = await ServeProcess.start({ ...opts(), host: '0.0.0.0' });
    await assert.rejects(noToken.whenReady(), /could not start \(exit code 2\): a token is required to bind 0\.0\.0\.0/);
    const junk = path.join(dir, 'junk.pkl');
    fs.writeFileSync(junk, 'not a pickle');
    const bad = await ServeProcess.start({ ...opts(), model: junk });
    await assert.rejects(bad.whenReady(), /could not start \(exit code 1\): could not load/);
  });

  it('with a token on a non-loopback address: 401 without it, 200 with it', async () => {
    const proc = await ServeProcess.start({ ...opts(), host: '0.0.0.0', token: 'tok-123' });
    const ready = await proc.whenReady();
    assert.equal(ready.tokenRequired, true);
    const url = `http://127.0.0.1:${ready.port}`;
    assert.equal((await httpRequest(`${url}/ping`)).status, 401);
    assert.equal((await httpRequest(`${url}/ping`, { token: 'tok-123' })).status, 200);
    await proc.stop();
  });

  it('stops itself when the pipe to VS Code closes (no server outlives the extension host)', async () => {
    const proc = await ServeProcess.start(opts());
    const ready = await proc.whenReady();
    // The pipe connects in the background after the ready line: once it has, drop it.
    const { channel } = proc as unknown as { channel: { connected: Promise<unknown>; close(): void } };
    await channel.connected;
    channel.close();
    const exit = await new Promise<import('../../../src/serving/serve-process').ServeExit>((resolve) => proc.once('exit', resolve));
    assert.equal(exit.end?.reason, 'extension-gone');
    assert.equal(await portOpen(ready.port), false);
  });

  it('predicts a CSV in chunks with progress over the pipe; cancel removes the partial output', async () => {
    const input = path.join(dir, 'rows.csv');
    const lines = ['id,' + FEATURES.join(',')];
    for (let i = 0; i < 30_000; i++) lines.push(`${i},${(4 + (i % 40) / 10).toFixed(1)},3.0,${(1 + (i % 60) / 10).toFixed(1)},${((i % 25) / 10).toFixed(1)}`);
    fs.writeFileSync(input, lines.join('\n') + '\n');
    const job = await PredictJob.start({ python: PY, runnerDir: RUNNER_DIR, model, input, chunkRows: 5000, jobId: 'job-1' });
    const progress: number[] = [];
    job.on('progress', (p) => progress.push(p.rows));
    const result = await job.finished;
    assert.equal(result.status, 'done', JSON.stringify(result));
    assert.equal(result.rows, 30_000);
    assert.equal(result.output, path.join(dir, 'rows.predictions.csv'));
    assert.deepEqual(result.ignoredColumns, ['id']);
    const out = fs.readFileSync(result.output!, 'utf8').trim().split(/\r?\n/);
    assert.equal(out[0], 'prediction');
    assert.equal(out.length, 30_001);
    assert.ok(progress.length >= 1 && progress.every((p, i) => i === 0 || p >= progress[i - 1]), `progress ${progress}`);

    const slow = await PredictJob.start({ python: PY, runnerDir: RUNNER_DIR, model, input, output: path.join(dir, 'slow.csv'), chunkRows: 100, jobId: 'job-2' });
    await new Promise<void>((resolve) => slow.once('progress', () => resolve()));
    await slow.cancel();
    const cancelled = await slow.finished;
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.exitCode, 130);
    assert.ok(!fs.existsSync(path.join(dir, 'slow.csv')) && !fs.existsSync(path.join(dir, 'slow.csv.part')));
  });
});
