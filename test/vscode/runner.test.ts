import * as assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LaunchedRun } from '../../src/runner/run-manager';
import { api, waitFor, workspaceDir } from './helpers';

const FIXTURES = join(__dirname, '../../../test/vscode/fixtures');

/** Copies a fixture script into the workspace, opens it, and runs it with the real command. */
async function runFixture(name: string, args?: string[], gpus?: number[]): Promise<LaunchedRun> {
  const target = join(workspaceDir(), name);
  copyFileSync(join(FIXTURES, name), target);
  await vscode.window.showTextDocument(vscode.Uri.file(target));
  const run = await vscode.commands.executeCommand<LaunchedRun | undefined>('mlwb.runCurrentFile', args || gpus ? { args, gpus } : undefined);
  assert.ok(run, `${name} was launched`);
  return run;
}

async function storeRun(runId: string) {
  const store = await (await api()).store.get();
  await (await api()).store.refresh();
  return store.getRun(runId);
}

describe('run the current training file (real terminals, real Python, JSON-RPC)', () => {
  it('runs an SDK script in a visible terminal: completed, with params, metrics, logs and progress', async () => {
    const run = await runFixture('sdk_train.py');
    assert.equal(run.terminal.name, 'mlwb: sdk_train.py');
    const progress: number[] = [];
    run.session.on('progress', (p) => progress.push(p.current));
    const runId = await run.started;
    const outcome = await run.finished;
    assert.equal(outcome.status, 'completed');
    assert.equal(outcome.exitCode, 0);
    const detail = await storeRun(runId);
    assert.equal(detail?.status, 'completed');
    assert.equal(detail?.experiment, 'fixtures/sdk', 'the script’s Experiment claimed the runner’s run');
    assert.deepEqual(detail?.params, { lr: 0.1, 'model.depth': 3 });
    // system/* samples start after 1 s: a slow machine may give this short script some (datasets.test.ts checks them)
    assert.deepEqual(detail?.metrics.filter((m) => !m.key.startsWith('system/')).map((m) => [m.key, m.count]).sort(), [['eval/acc', 5], ['train/loss', 5]]);
    assert.ok(detail?.logs.some((l) => l.msg === 'done training'));
    assert.ok(detail?.logs.some((l) => l.stream === 'stdout' && l.msg.includes('sdk script finished')), 'stdout is captured');
    assert.ok(progress.length > 0 && progress.every((p, i) => i === 0 || p >= progress[i - 1]), `progress arrived: ${progress}`);
  });

  it('tracks an unmodified sklearn script: script, argv, interpreter, stdout and the autologged model', async () => {
    const run = await runFixture('plain_sklearn.py', ['--seed', '1']);
    const runId = await run.started;
    assert.equal((await run.finished).status, 'completed');
    const detail = await storeRun(runId);
    assert.equal(detail?.script?.path, join(workspaceDir(), 'plain_sklearn.py'));
    assert.deepEqual(detail?.argv.slice(1), ['--seed', '1']);
    assert.equal(detail?.python?.executable, '/usr/bin/python3');
    assert.ok(detail?.logs.some((l) => l.msg.startsWith('accuracy')), 'stdout line in the log');
    assert.ok(detail?.files.some((f) => f.path.includes('LogisticRegression')), `autologged model file: ${detail?.files.map((f) => f.path)}`);
  });

  it('cancels a long script: it stops and the run is cancelled', async () => {
    const run = await runFixture('long_loop.py');
    const runId = await run.started;
    // While it runs, the runner answers the extension's requests.
    const info = await run.session.systemInfo();
    assert.equal(info.python.executable, '/usr/bin/python3');
    assert.ok(info.cpuCount >= 1);
    assert.match(info.packages['scikit-learn'] ?? info.packages.sklearn ?? '', /^\d/);
    await vscode.commands.executeCommand('mlwb.cancelRun', runId);
    const outcome = await run.finished;
    assert.equal(outcome.status, 'cancelled');
    assert.equal((await storeRun(runId))?.status, 'cancelled');
  });

  it('marks a script that raises as failed, with its traceback', async () => {
    const run = await runFixture('raises.py');
    const runId = await run.started;
    const outcome = await run.finished;
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.exitCode, 1);
    const detail = await storeRun(runId);
    assert.equal(detail?.status, 'failed');
    assert.match(detail?.traceback ?? '', /ValueError: bad data in row 7/);
    assert.match(detail?.traceback ?? '', /in load/);
  });

  it('shows a script killed with SIGKILL as crashed, keeping what it flushed', async () => {
    const run = await runFixture('killed.py');
    const runId = await run.started;
    const outcome = await run.finished;
    assert.equal(outcome.status, 'crashed', 'the channel closed without "finished"');
    const detail = await waitFor(async () => {
      const d = await storeRun(runId);
      return d?.status === 'crashed' ? d : undefined;
    }, 'the store to show the run crashed');
    assert.equal(detail.metrics.find((m) => m.key === 'train/loss')?.count, 1);
  });

  it('a run whose JSON-RPC channel breaks (an unreadable frame) ends as its journal says, not "crashed"', async () => {
    const run = await runFixture('broken_channel.py');
    const runId = await run.started;
    const outcome = await run.finished;
    assert.equal(outcome.status, 'failed', `outcome ${JSON.stringify(outcome)}`);
    assert.match(outcome.error ?? '', /failed after the channel broke/);
    assert.equal((await storeRun(runId))?.status, 'failed');
  });

  it('runs several scripts at once', async () => {
    const [a, b] = [await runFixture('long_loop.py'), await runFixture('sdk_train.py')];
    await Promise.all([a.started, b.started]);
    const manager = (await api()).runner;
    assert.ok(manager.active.length >= 1);
    assert.equal((await b.finished).status, 'completed');
    await a.session.cancel();
    assert.equal((await a.finished).status, 'cancelled');
  });

  it('pins a run to chosen GPUs (CUDA_VISIBLE_DEVICES, terminal name) and passes .env values to the process only', async () => {
    writeFileSync(join(workspaceDir(), '.env'), 'FROM_DOTENV=hello-env\n');
    try {
      const run = await runFixture('env_probe.py', ['--epochs', '3'], [1, 3]);
      assert.equal(run.terminal.name, 'mlwb: env_probe.py [GPU 1,3]');
      const runId = await run.started;
      assert.equal((await run.finished).status, 'completed');
      const lines = (await storeRun(runId))?.logs.map((l) => l.msg) ?? [];
      assert.ok(lines.includes('CUDA_VISIBLE_DEVICES=1,3'), lines.join('\n'));
      assert.ok(lines.includes('FROM_DOTENV_REVERSED=vne-olleh'), 'the .env value reached the process');
      assert.ok(lines.includes('FROM_DOTENV=***'), 'and is masked where the script printed it');
      assert.ok(lines.includes('ARGS=--epochs 3'));
      const manifest = readFileSync(join(workspaceDir(), '.mlwb', 'runs', runId, 'run.json'), 'utf8');
      assert.ok(!manifest.includes('hello-env'), 'environment values are never recorded');
      assert.ok(!lines.some((l) => l.includes('hello-env')));
    } finally {
      rmSync(join(workspaceDir(), '.env'));
    }
  });

  it('reruns a finished run: same script and arguments, a new run', async () => {
    const first = await runFixture('env_probe.py', ['--seed', '42']);
    const firstId = await first.started;
    await first.finished;
    await (await api()).store.refresh();
    const again = await vscode.commands.executeCommand<LaunchedRun>('mlwb.rerun', firstId);
    const againId = await again.started;
    assert.notEqual(againId, firstId);
    assert.equal((await again.finished).status, 'completed');
    assert.deepEqual((await storeRun(againId))?.argv.slice(1), ['--seed', '42']);
  });

  it('refuses a bad interpreter path without starting anything', async () => {
    const config = vscode.workspace.getConfiguration('mlwb');
    await config.update('pythonPath', '/nonexistent/bin/python3', vscode.ConfigurationTarget.Workspace);
    try {
      // A name no other test uses: other suites' terminals may come and go meanwhile.
      copyFileSync(join(FIXTURES, 'raises.py'), join(workspaceDir(), 'bad_interpreter_probe.py'));
      await vscode.window.showTextDocument(vscode.Uri.file(join(workspaceDir(), 'bad_interpreter_probe.py')));
      const run = await vscode.commands.executeCommand('mlwb.runCurrentFile');
      assert.equal(run, undefined);
      // The command has returned: a terminal it had created would already be in the extension host's list.
      assert.ok(!vscode.window.terminals.some((t) => t.name.includes('bad_interpreter_probe')), 'no terminal was opened');
    } finally {
      await config.update('pythonPath', '/usr/bin/python3', vscode.ConfigurationTarget.Workspace);
    }
  });
});
