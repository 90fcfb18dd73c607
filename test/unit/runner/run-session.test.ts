import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runnerInvocation } from '../../../src/runner/launch-spec';
import { openRunnerChannel } from '../../../src/runner/rpc-channel';
import { RunSession, type RunOutcome } from '../../../src/runner/run-session';

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
  const { command, args, env } = runnerInvocation(spec, RUNNER_DIR, channel.pipeName, path.join(dir, '.mlwb'));
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
    const run = await launch('long_loop.py');
    await new Promise<void>((resolve) => run.session.once('started', () => resolve()));
    await run.session.cancel();
    const outcome = await run.finished;
    assert.equal(outcome.status, 'cancelled', run.output());
    assert.equal(outcome.killed, undefined, 'it stopped by itself, no kill needed');
  });

  it('cancel escalates to SIGTERM then SIGKILL when the script ignores Ctrl+C', async () => {
    const run = await launch('ignores_sigint.py', { cancelGraceMs: 500 });
    await new Promise<void>((resolve) => run.session.once('started', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    await run.session.cancel();
    const outcome = await run.finished;
    assert.equal(outcome.status, 'cancelled');
    assert.notEqual(await run.exited, 0);
  });
});
