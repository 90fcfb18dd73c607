import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainArgs, launchExplain, type ExplainProgress, type ExplainRequest } from '../../../src/explain/explain-process';
import { readExplainText } from '../../../src/explain/explain-file';
import type { FeatureEvent } from '../../../src/runner/protocol';
import { openRunnerChannel } from '../../../src/runner/rpc-channel';
import { RunSession, type RunOutcome } from '../../../src/runner/run-session';

const REPO = path.resolve(__dirname, '../../../..');
const RUNNER_DIR = path.join(REPO, 'python-runner');
const PY = '/usr/bin/python3';

describe('run session: a job without a run (explain)', function () {
  this.timeout(20_000);

  it('follows handshake → feature events → finished with no run/started; messages name the job', async () => {
    const channel = await openRunnerChannel(10_000);
    const warnings: string[] = [];
    const session = new RunSession(channel, { cancelGraceMs: 1000, killGraceMs: 1000, job: 'explain forest.pkl' }, (m) => warnings.push(m));
    const socket = net.createConnection(channel.pipeName);
    await new Promise((r) => socket.once('connect', r));
    const send = (msg: unknown) => {
      const body = JSON.stringify(msg);
      socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    const features: FeatureEvent[] = [];
    session.on('feature', (e) => features.push(e));
    const finished = new Promise<RunOutcome>((resolve) => session.once('finished', resolve));
    send({ jsonrpc: '2.0', id: 1, method: 'runner/handshake', params: { protocol: 1, runner: 't', python: { executable: 'p', version: '3' }, pid: process.pid, capabilities: [], secret: channel.secret } });
    send({ jsonrpc: '2.0', method: 'run/event', params: { runId: '', event: { kind: 'explainProgress', stage: 'shap', current: 3, total: 10 } } });
    send({ jsonrpc: '2.0', method: 'run/event', params: { runId: '', event: 'not an event' } });
    send({ jsonrpc: '2.0', method: 'run/event', params: { runId: '', event: { kind: 'explainResult', data: { path: '/x/explain.json' } } } });
    send({ jsonrpc: '2.0', id: 2, method: 'run/finished', params: { runId: '', status: 'completed', exitCode: 0, durationMs: 12 } });
    const outcome = await finished;
    assert.equal(outcome.status, 'completed');
    assert.equal(session.runId, undefined, 'no run: nothing set it');
    assert.equal(session.pid, process.pid, 'the pid comes from the handshake (cancel can escalate)');
    assert.deepEqual(features.map((f) => f.kind), ['explainProgress', 'explainResult']);
    assert.ok(warnings.some((w) => w.startsWith('explain forest.pkl: runner sent a malformed run/event')), warnings.join('\n'));
    socket.destroy();
    session.dispose();
  });
});

describe('explain job against the real Python runner', function () {
  this.timeout(90_000);
  let dir: string;
  const logs: string[] = [];
  const launch = (req: Partial<ExplainRequest>, cancelGraceMs = 5000) =>
    launchExplain({ model: path.join(dir, 'forest.pkl'), data: path.join(dir, 'iris.csv'), out: path.join(dir, 'out'), ...req }, {
      python: PY, runnerDir: RUNNER_DIR, storeDir: path.join(dir, '.mlwb'), cwd: dir, cancelGraceMs, killGraceMs: 2000,
      log: (l) => logs.push(l), warn: (l) => logs.push(`warn ${l}`),
    });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-explain-'));
    execFileSync(PY, [path.join(REPO, 'test/vscode/fixtures/explain_models.py'), dir]);
  });

  it('builds the command line: a directory or a run, never both', () => {
    assert.deepEqual(explainArgs({ model: 'm.pkl', data: 'd.csv', target: 'y', out: 'o', rows: 10.7, method: 'kernel' }), [
      '-m', 'mlwb', 'explain', '--model', 'm.pkl', '--data', 'd.csv', '--target', 'y', '--out', 'o', '--method', 'kernel', '--rows', '10',
    ]);
    assert.throws(() => explainArgs({ model: 'm', data: 'd', out: 'o', run: 'r' }));
    assert.throws(() => explainArgs({ model: 'm', data: 'd' }));
  });

  it('completes: progress through the stages, explain.json written and valid, its path from explainResult', async () => {
    const job = await launch({ target: 'species' });
    const stages: ExplainProgress[] = [];
    job.onProgress((p) => stages.push(p));
    const outcome = await job.finished;
    assert.equal(outcome.status, 'completed', `${JSON.stringify(outcome)}\n${logs.join('\n')}`);
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.resultPath, path.join(dir, 'out', 'explain.json'));
    const file = readExplainText(fs.readFileSync(outcome.resultPath!, 'utf8'));
    assert.deepEqual(file.metadata.outputNames, ['P(setosa)', 'P(versicolor)', 'P(virginica)']);
    assert.equal(file.metadata.data?.target, 'species');
    for (const stage of ['load', 'shap', 'permutation', 'partialDependence']) assert.ok(stages.some((p) => p.stage === stage), `stage ${stage}`);
  });

  it('bad input (exit 2): failed with the runner’s one-line message', async () => {
    const job = await launch({ target: 'no_such_column' });
    const outcome = await job.finished;
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.exitCode, 2);
    assert.match(outcome.error ?? '', /no_such_column/);
    assert.ok(!outcome.error?.includes('\n'));
  });

  it('a Python that cannot start: crashed, saying so (no 60 s wait for a connection)', async () => {
    const started = Date.now();
    const job = await launchExplain({ model: 'm.pkl', data: 'd.csv', out: dir }, {
      python: path.join(dir, 'no-python'), runnerDir: RUNNER_DIR, storeDir: dir, cwd: dir, cancelGraceMs: 1000, log: () => undefined, warn: () => undefined,
    });
    const outcome = await job.finished;
    assert.equal(outcome.status, 'crashed');
    assert.match(outcome.error ?? '', /could not start/);
    assert.ok(Date.now() - started < 10_000);
  });

  it('cancel mid-way (KernelSHAP on 24 features): cancelled, exit 130, nothing written', async () => {
    const out = path.join(dir, 'cancelled');
    const job = await launch({ model: path.join(dir, 'wide.pkl'), data: path.join(dir, 'wide.csv'), target: 'y', method: 'kernel', rows: 60, out }, 60_000); // SIGTERM lands between numpy calls: late on a loaded machine, never lost
    await new Promise<void>((resolve) => job.onProgress((p) => p.stage === 'shap' && p.current > 0 && resolve()));
    await job.cancel();
    const outcome = await job.finished;
    assert.equal(outcome.status, 'cancelled', JSON.stringify(outcome));
    assert.equal(outcome.exitCode, 130);
    assert.equal(fs.existsSync(path.join(out, 'explain.json')), false);
  });
});
