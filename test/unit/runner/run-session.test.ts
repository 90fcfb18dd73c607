import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runnerInvocation } from '../../../src/runner/launch-spec';
import { openRunnerChannel } from '../../../src/runner/rpc-channel';
import { RunSession, type RunOutcome } from '../../../src/runner/run-session';
import { until } from '../../shared/until';

const REPO = path.resolve(__dirname, '../../../..');
const RUNNER_DIR = path.join(REPO, 'python-runner');
const FIXTURES = path.join(REPO, 'test/vscode/fixtures');

/** The real Python runner, spawned as a plain child process (no terminal), speaking JSON-RPC to a RunSession. */
async function launch(script: string, opts: { cancelGraceMs?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-rs-'));
  fs.copyFileSync(path.join(FIXTURES, script), path.join(dir, script));
  const channel = await openRunnerChannel(20_000);
  const warnings: string[] = [];
  const session = new RunSession(channel, { cancelGraceMs: opts.cancelGraceMs ?? 5000, killGraceMs: 2000 }, (m) => warnings.push(m));
  const spec = { script: path.join(dir, script), args: [], cwd: dir, python: '/usr/bin/python3', env: {} };
  const { command, args, env } = runnerInvocation(spec, RUNNER_DIR, channel.pipeName, path.join(dir, '.mlwb'), process.env, { rpcSecret: channel.secret });
  const child = spawn(command, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const finished = new Promise<RunOutcome>((resolve) => session.once('finished', resolve));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { session, finished, exited, warnings, output: () => output, storeDir: path.join(dir, '.mlwb') };
}

describe('run session against the real Python runner', function () {
  this.timeout(60_000);

  for (const [script, status, exitCode] of [
    ['plain_sklearn.py', 'completed', 0],
    ['raises.py', 'failed', 1],
    ['sdk_train.py', 'completed', 0],
  ] as const) {
    it(`${script}: ${status}, exit ${exitCode}, told by "finished" (not a crash)`, async () => {
      const run = await launch(script);
      const outcome = await run.finished;
      assert.equal(outcome.status, status, `${JSON.stringify(outcome)}\n${run.output()}\n${run.warnings.join('\n')}`);
      assert.equal(outcome.exitCode, exitCode);
      assert.equal(await run.exited, exitCode);
      assert.ok(run.session.runId);
    });
  }

  it('a SIGKILLed runner is a crash', async () => {
    const run = await launch('killed.py');
    const outcome = await run.finished;
    assert.equal(outcome.status, 'crashed');
  });

  it('cancel: the script stops as after Ctrl+C and reports cancelled', async () => {
    // A long grace: on a loaded machine the interrupt may take seconds, and escalation is another test.
    const run = await launch('long_loop.py', { cancelGraceMs: 30_000 });
    await new Promise<void>((resolve) => run.session.once('started', () => resolve()));
    await run.session.cancel();
    const outcome = await run.finished;
    const seen = `${JSON.stringify(outcome)}\n${run.output()}\n${run.warnings.join('\n')}`;
    assert.equal(outcome.status, 'cancelled', seen);
    assert.equal(outcome.killed, undefined, `it stopped by itself, no kill needed: ${seen}`);
  });

  it('cancel escalates to SIGTERM then SIGKILL when the script ignores Ctrl+C', async () => {
    const run = await launch('ignores_sigint.py', { cancelGraceMs: 500 });
    await new Promise<void>((resolve) => run.session.once('started', () => resolve()));
    await until(() => run.output().includes('stubborn'), 'the script to swallow signals', { seen: run.output });
    await run.session.cancel();
    const outcome = await run.finished;
    assert.equal(outcome.status, 'cancelled');
    assert.notEqual(await run.exited, 0);
  });
});

/** A hand-driven runner on a raw socket: sends exactly the bytes a test wants. */
async function rawRunner() {
  const net = await import('node:net');
  const channel = await openRunnerChannel(10_000);
  const warnings: string[] = [];
  const session = new RunSession(channel, { cancelGraceMs: 1000, killGraceMs: 1000 }, (m) => warnings.push(m));
  const socket = net.createConnection(channel.pipeName);
  await new Promise((r) => socket.once('connect', r));
  let inbox = '';
  socket.on('data', (d) => (inbox += d.toString()));
  const send = (msg: unknown) => {
    const body = typeof msg === 'string' ? msg : JSON.stringify(msg);
    socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const replies = () => inbox.split(/Content-Length: \d+\r\n\r\n/).filter(Boolean).map((b) => JSON.parse(b));
  return { session, send, socket, warnings, replies, secret: channel.secret };
}

const handshake = (secret: string | undefined, pid = process.pid) => ({ protocol: 1, runner: 't', python: { executable: 'p', version: '3' }, pid, capabilities: [], ...(secret === undefined ? {} : { secret }) });

describe('run session: bad input from a runner', function () {
  this.timeout(20_000);

  it('answers bad requests with JSON-RPC errors, logs bad notifications, and the run goes on', async () => {
    const r = await rawRunner();
    const finished = new Promise<RunOutcome>((resolve) => r.session.once('finished', resolve));
    r.send({ jsonrpc: '2.0', id: 1, method: 'runner/handshake', params: handshake(r.secret) });
    r.send({ jsonrpc: '2.0', id: 2, method: 'runner/handshake', params: 'not an object' });
    r.send({ jsonrpc: '2.0', id: 3, method: 'no/such/method', params: {} });
    r.send({ jsonrpc: '2.0', method: 'run/started', params: { runId: 42 } });
    r.send({ jsonrpc: '2.0', method: 'run/progress', params: null });
    r.send({ jsonrpc: '2.0', method: 'made/up', params: {} });
    r.send({ jsonrpc: '2.0', method: 'run/started', params: { runId: 'r-ok', runDir: '/d', storeDir: '/s', script: 's.py', argv: [], pid: process.pid } });
    r.send({ jsonrpc: '2.0', id: 4, method: 'run/finished', params: { status: 'completed' } });
    r.send({ jsonrpc: '2.0', id: 5, method: 'run/finished', params: { runId: 'r-ok', status: 'completed', exitCode: 0, durationMs: 5 } });
    const outcome = await finished;
    assert.equal(outcome.status, 'completed');
    assert.equal(r.session.runId, 'r-ok', 'the malformed run/started was ignored, the good one taken');
    await until(() => [1, 2, 3, 4, 5].every((id) => r.replies().some((m) => m.id === id)), 'an answer to every request', { seen: r.replies });
    const byId = new Map(r.replies().map((m) => [m.id, m]));
    assert.equal(byId.get(1)?.result?.accepted, true);
    assert.equal(byId.get(2)?.error?.code, -32602);
    assert.equal(byId.get(3)?.error?.code, -32601);
    assert.equal(byId.get(4)?.error?.code, -32602);
    assert.ok('result' in (byId.get(5) ?? {}), 'run/finished is answered, so the runner may close');
    assert.ok(r.warnings.some((w) => w.includes('malformed run/started')));
    assert.ok(r.warnings.some((w) => w.includes('malformed run/progress')));
    assert.ok(r.warnings.some((w) => w.includes('unknown notification made/up')));
    r.socket.destroy();
    r.session.dispose();
  });

  it('refuses a runner of another protocol version, saying why', async () => {
    const r = await rawRunner();
    r.send({ jsonrpc: '2.0', id: 1, method: 'runner/handshake', params: { ...handshake(r.secret, 1), protocol: 99 } });
    const reply = await until(() => r.replies().find((m) => m.id === 1), 'the answer to the handshake', { seen: r.replies });
    assert.equal(reply?.result?.accepted, false);
    assert.match(reply?.result?.reason ?? '', /protocol 99/);
    r.socket.destroy();
    r.session.dispose();
  });

  it('refuses a connection whose handshake lacks the session secret or presents a wrong one, and ignores what it sends', async () => {
    for (const secret of [undefined, 'not-the-secret']) {
      const r = await rawRunner();
      const started: string[] = [];
      r.session.on('started', (p) => started.push(p.runId));
      r.send({ jsonrpc: '2.0', id: 1, method: 'runner/handshake', params: handshake(secret, 4242) });
      r.send({ jsonrpc: '2.0', method: 'run/started', params: { runId: 'impostor', runDir: '/d', storeDir: '/s', script: 's.py', argv: [], pid: 4242 } });
      r.send({ jsonrpc: '2.0', id: 2, method: 'run/finished', params: { runId: 'impostor', status: 'completed', exitCode: 0, durationMs: 5 } });
      await until(() => [1, 2].every((id) => r.replies().some((m) => m.id === id)), 'both answers', { seen: r.replies });
      const byId = new Map(r.replies().map((m) => [m.id, m]));
      assert.equal(byId.get(1)?.result?.accepted, false);
      assert.match(byId.get(1)?.result?.reason ?? '', /session secret \(MLWB_RPC_SECRET\)/);
      assert.ok(byId.get(2)?.error, 'run/finished from an unaccepted connection is an error');
      assert.ok(r.warnings.some((w) => /refused: the handshake (did not present the|presented a wrong) session secret/.test(w)), r.warnings.join('\n'));
      assert.ok(r.warnings.some((w) => w.includes('ignored run/started from a connection without an accepted handshake')), r.warnings.join('\n'));
      assert.deepEqual(started, [], 'nothing from it was taken');
      assert.equal(r.session.pid, undefined, 'its pid is never a cancel target');
      assert.equal(r.session.runId, undefined);
      assert.ok(r.session.running);
      r.socket.destroy();
      r.session.dispose();
    }
  });

  it('a runner that never connects ends the session as crashed, with the reason', async () => {
    const channel = await openRunnerChannel(300);
    const session = new RunSession(channel, { cancelGraceMs: 1000, killGraceMs: 1000 }, () => undefined);
    const outcome = await new Promise<RunOutcome>((resolve) => session.once('finished', resolve));
    assert.equal(outcome.status, 'crashed');
    assert.match(outcome.error ?? '', /did not connect/);
  });
});
