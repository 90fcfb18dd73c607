import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Submitted } from '../../src/slurm/submission';
import type { RunDetail } from '../../src/store';
import { api, extension, waitFor, workspaceDir } from './helpers';

/**
 * Submitting to a REAL Slurm cluster (slurmctld + slurmd + munge on loopback, started by the test harness
 * before code-server so SLURM_CONF reaches the extension host): the runs, their states, job ids, metrics
 * and logs in the store.
 */
describe('Slurm (real single-node cluster)', function () {
  const JOB_TIMEOUT_MS = 90_000;
  this.timeout(180_000);
  const fixtures = () => path.join(extension().extensionPath, 'test/vscode/fixtures');
  const config = () => vscode.workspace.getConfiguration('mlwb.slurm');

  before(async function () {
    const unavailable = process.env.MLWB_SLURM_UNAVAILABLE ?? (process.env.SLURM_CONF ? undefined : 'SLURM_CONF is not set: run through test/harness/run-vscode-tests.mjs');
    if (unavailable) {
      console.log(`    (skipped: ${unavailable})`);
      this.skip();
    }
    for (const f of ['slurm_train.py', 'raises.py', 'tune_objective.py']) fs.copyFileSync(path.join(fixtures(), f), path.join(workspaceDir(), f));
    await config().update('profiles', [
      { name: 'test', python: '/usr/bin/python3', cpusPerTask: 1, time: '5:00' },
      // Held jobs stay PENDING until released: a deterministic queued job.
      { name: 'held', python: '/usr/bin/python3', extra: ['--hold'] },
    ], vscode.ConfigurationTarget.Workspace);
    await config().update('pollSeconds', 1, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await config().update('profiles', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('pollSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('binDir', undefined, vscode.ConfigurationTarget.Workspace);
  });

  const script = (name: string) => path.join(workspaceDir(), name);

  async function run(id: string): Promise<RunDetail | undefined> {
    return (await (await api()).store.get()).getRun(id);
  }

  /** Waits until the run has ended (its status and its job's state both final) and returns it. */
  async function ended(id: string): Promise<RunDetail> {
    return waitFor(
      async () => {
        const r = await run(id);
        return r && !['queued', 'running'].includes(r.status) && r.job && !['PENDING', 'RUNNING', 'COMPLETING'].includes(r.job.state) ? r : undefined;
      },
      `run ${id} to end`,
      JOB_TIMEOUT_MS,
    );
  }

  /** The end-of-run notification this window showed for the run. */
  async function notice(id: string) {
    const workbench = await api();
    return waitFor(() => workbench.slurm.notices.find((n) => n.run === id), `the notification of run ${id}’s end`);
  }

  /** The run of the first test (completed), which the Rerun tests submit again. */
  let completedRun = '';

  /** The run's journal as written: statuses and scheduler states in order. */
  function journal(id: string): { statuses: string[]; states: string[]; records: Record<string, unknown>[] } {
    const file = path.join(workspaceDir(), '.mlwb/runs', id, 'events.jsonl');
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    return {
      statuses: records.filter((r) => r.t === 'status').map((r) => String(r.status)),
      states: records.filter((r) => r.t === 'scheduler').map((r) => String(r.state)),
      records,
    };
  }

  it('runs a submitted training file to completion: queued → running → completed, with its job id and metrics', async () => {
    const submitted = await vscode.commands.executeCommand<Submitted>('mlwb.submitToSlurm', {
      uri: vscode.Uri.file(script('slurm_train.py')), profile: 'test', args: ['--lr', '0.05'], confirm: false,
    });
    assert.ok(submitted, 'the command returns what it submitted');
    assert.match(submitted.jobId, /^\d+$/);
    const [{ id, jobId }] = submitted.runs;
    assert.equal(jobId, submitted.jobId);
    assert.equal((await run(id))?.status !== undefined, true, 'the run exists as soon as the command returns');

    const r = await ended(id);
    assert.equal(r.status, 'completed', r.error);
    assert.equal(r.job?.id, submitted.jobId);
    assert.equal(r.job?.state, 'COMPLETED');
    assert.equal(r.job?.node, os.hostname().split('.')[0], 'the node it ran on');
    // The script's own params, and its argparse namespace as the runner captured it.
    assert.deepEqual(r.params, { lr: 0.05, steps: 4, 'args.lr': 0.05, 'args.steps': 4, 'args.sleep': 0.1 });
    const loss = r.metrics.find((m) => m.key === 'train/loss');
    assert.equal(loss?.count, 4);
    assert.equal(loss?.last, 0.05 / 4);
    assert.ok(r.logs.some((l) => l.msg.includes('trained with lr=0.05')), 'the job’s output is the run’s log');
    assert.ok(r.started !== undefined && r.started >= r.created, 'the process started after the submission');
    assert.ok(r.pid !== undefined && r.pid > 0, 'the job’s process, not the submitter’s pid 0');

    const j = journal(id);
    assert.deepEqual(j.statuses, ['queued', 'running', 'completed']);
    assert.equal(j.states[0], 'PENDING');
    assert.ok(j.states.includes('RUNNING'));
    assert.equal(j.states.at(-1), 'COMPLETED');
    const sbatch = fs.readFileSync(submitted.scriptFile, 'utf8');
    assert.match(sbatch, /^#SBATCH --time=5:00$/m);
    assert.match(sbatch, new RegExp(`--run-id ${id} `));

    const n = await notice(id);
    assert.equal(n.severity, 'info');
    assert.match(n.message, new RegExp(`^Slurm run ${r.name} completed in \\d+\\.\\d s \\(job ${submitted.jobId}\\)\\.$`));
    assert.deepEqual(n.actions, ['Open Run']);
    completedRun = id;
  });

  it('submits the open notebook: the job runs it on a kernel, its arguments as parameters, the executed notebook saved', async () => {
    const nb = script('slurm_notebook.ipynb');
    const cell = (source: string, tags?: string[]) => ({ cell_type: 'code', execution_count: null, metadata: tags ? { tags } : {}, outputs: [], source });
    fs.writeFileSync(nb, JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [cell('lr = 0.1', ['parameters']), cell('print("notebook trained with lr", lr)')],
    }));
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(nb));
    await vscode.window.showNotebookDocument(doc);
    const submitted = await vscode.commands.executeCommand<Submitted>('mlwb.submitToSlurm', { profile: 'test', args: ['--lr', '0.05'], confirm: false });
    assert.ok(submitted, 'the active notebook was submitted');
    const r = await ended(submitted.runs[0].id);
    assert.equal(r.status, 'completed', r.error);
    assert.equal(r.script?.path, nb);
    assert.equal(r.experiment, 'slurm_notebook');
    assert.deepEqual(r.params, { lr: 0.05 });
    assert.ok(r.logs.some((l) => l.msg.includes('notebook trained with lr 0.05')), 'the cell output is the run’s log');
    assert.ok(r.files.some((f) => f.path === 'notebook/executed.ipynb'));
    assert.match(fs.readFileSync(submitted.scriptFile, 'utf8'), /slurm_notebook\.ipynb'? --param '?lr=0\.05/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Rerun submits a Slurm run again with its profile and arguments: a new job, not a local run', async () => {
    assert.ok(completedRun, 'the completed run of the first test');
    const first = (await run(completedRun))!;
    const again = await vscode.commands.executeCommand<Submitted>('mlwb.rerun', completedRun, { confirm: false });
    assert.ok(again && 'jobId' in again, 'submitted to Slurm, not launched here');
    const [{ id }] = again.runs;
    assert.notEqual(id, completedRun);
    const r = await ended(id);
    assert.equal(r.status, 'completed', r.error);
    assert.notEqual(r.job?.id, first.job?.id);
    assert.deepEqual(r.argv, first.argv);
    assert.deepEqual(r.params, { lr: 0.05, steps: 4, 'args.lr': 0.05, 'args.steps': 4, 'args.sleep': 0.1 });
    assert.equal(r.experiment, first.experiment);
    assert.equal((r.metadata?.slurm as { profile?: string }).profile, 'test');
    assert.match(fs.readFileSync(again.scriptFile, 'utf8'), /^#SBATCH --time=5:00$/m, 'the profile’s time limit');
    assert.deepEqual(journal(id).statuses, ['queued', 'running', 'completed']);
    await notice(id);
    await (await api()).slurm.pollNow();
    assert.equal((await api()).slurm.notices.filter((n) => n.run === completedRun).length, 1, 'one notification per run');
  });

  it('Rerun of a run whose profile is gone from the settings says which, and submits nothing', async () => {
    const profiles = config().get('profiles');
    await config().update('profiles', [{ name: 'other', python: '/usr/bin/python3' }], vscode.ConfigurationTarget.Workspace);
    try {
      const workbench = await api();
      const before = (await workbench.store.get()).listRuns().total;
      // Through the Slurm side (the command shows the error instead of throwing; the ui journey clicks its actions).
      await assert.rejects(
        workbench.slurm.resubmit((await run(completedRun))!, { confirm: false }),
        /was submitted to Slurm with the profile "test", which is no longer in mlwb\.slurm\.profiles \(there are: other\)/,
      );
      await workbench.store.refresh();
      assert.equal((await workbench.store.get()).listRuns().total, before);
    } finally {
      await config().update('profiles', profiles, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('cancels a running job with scancel: the run ends cancelled', async () => {
    const submitted = await vscode.commands.executeCommand<Submitted>('mlwb.submitToSlurm', {
      uri: vscode.Uri.file(script('slurm_train.py')), profile: 'test', args: ['--steps', '600', '--sleep', '0.1'], confirm: false,
    });
    const [{ id }] = submitted.runs;
    await waitFor(async () => (await run(id))?.status === 'running' || undefined, `run ${id} to start`, JOB_TIMEOUT_MS);
    await vscode.commands.executeCommand('mlwb.cancelRun', id);
    const r = await ended(id);
    assert.equal(r.status, 'cancelled');
    assert.equal(r.job?.state, 'CANCELLED');
    const j = journal(id);
    assert.deepEqual(j.statuses, ['queued', 'running', 'cancelled'], 'the runner wrote its own end on SIGTERM');
    assert.ok((r.metrics.find((m) => m.key === 'train/loss')?.count ?? 0) > 0, 'what it logged before is kept');
    assert.deepEqual(await notice(id), { run: id, severity: 'info', message: `Slurm run ${r.name} was cancelled (job ${r.job?.id}).`, actions: [] });
  });

  it('cancels a job still in the queue: the run shows queued (and counts as running), then ends cancelled', async () => {
    const submitted = await vscode.commands.executeCommand<Submitted>('mlwb.submitToSlurm', {
      uri: vscode.Uri.file(script('slurm_train.py')), profile: 'held', args: [], confirm: false,
    });
    const [{ id }] = submitted.runs;
    const queued = await waitFor(async () => {
      const r = await run(id);
      return r?.job?.reason === 'JobHeldUser' ? r : undefined;
    }, 'the held job’s reason', JOB_TIMEOUT_MS);
    assert.equal(queued.status, 'queued');
    assert.equal(queued.job?.state, 'PENDING');
    const workbench = await api();
    await waitFor(() => workbench.slurm.scheduled.some((r) => r.id === id) || undefined, 'the queued run among the running ones (status bar, Show Running Runs)');
    await vscode.commands.executeCommand('mlwb.cancelRun', id);
    const r = await ended(id);
    assert.equal(r.status, 'cancelled');
    assert.equal(r.error, 'Slurm: CANCELLED');
    assert.deepEqual(journal(id).statuses, ['queued', 'cancelled'], 'never ran: the extension wrote its end');
    assert.equal((await notice(id)).message, `Slurm run ${r.name} was cancelled (job ${r.job?.id}).`);
    assert.ok(!workbench.slurm.scheduled.some((s) => s.id === id));
  });

  it('a failing job ends failed, with its error and output in the log', async () => {
    const submitted = await vscode.commands.executeCommand<Submitted>('mlwb.submitToSlurm', {
      uri: vscode.Uri.file(script('raises.py')), profile: 'test', args: [], confirm: false,
    });
    const r = await ended(submitted.runs[0].id);
    assert.equal(r.status, 'failed');
    assert.equal(r.job?.state, 'FAILED');
    assert.match(r.error ?? '', /bad data in row 7/);
    assert.match(r.traceback ?? '', /in load/);
    assert.ok(r.logs.some((l) => l.msg.includes('about to fail')), 'its output is in the log');
    assert.deepEqual(journal(r.id).statuses, ['queued', 'running', 'failed']);
    const n = await notice(r.id);
    assert.equal(n.severity, 'error');
    assert.match(n.message, new RegExp(`^Slurm run ${r.name} failed \\(job ${r.job?.id} FAILED\\): ValueError: bad data in row 7 — .*in load`));
    assert.deepEqual(n.actions, ['Show Job Output', 'Open Run', 'Rerun']);
  });

  it('a sweep is one array job of 3 tasks: 3 runs, each completed with its own arguments', async () => {
    const submitted = await vscode.commands.executeCommand<Submitted>('mlwb.submitSweepToSlurm', {
      uri: vscode.Uri.file(script('slurm_train.py')), profile: 'test', sweep: '--lr 0.1,0.01,0.001 --steps 3', confirm: false,
    });
    assert.equal(submitted.runs.length, 3);
    assert.match(fs.readFileSync(submitted.scriptFile, 'utf8'), /^#SBATCH --array=0-2$/m);
    const runs = await Promise.all(submitted.runs.map((s) => ended(s.id)));
    assert.deepEqual(runs.map((r) => r.status), ['completed', 'completed', 'completed'], runs.map((r) => r.error).join('; '));
    assert.deepEqual(runs.map((r) => r.job?.id), [0, 1, 2].map((i) => `${submitted.jobId}_${i}`));
    assert.deepEqual(runs.map((r) => r.params.lr), [0.1, 0.01, 0.001]);
    assert.deepEqual(runs.map((r) => r.argv.slice(1)), [['--lr', '0.1', '--steps', '3'], ['--lr', '0.01', '--steps', '3'], ['--lr', '0.001', '--steps', '3']]);
    for (const r of runs) {
      assert.equal(r.metrics.find((m) => m.key === 'train/loss')?.count, 3);
      assert.ok(fs.existsSync(r.job?.output ?? ''), `task output ${r.job?.output}`);
    }
  });

  it('tunes on Slurm: an array of workers sharing one Optuna journal, their trials one tuning session', async () => {
    const submitted = await vscode.commands.executeCommand<Submitted>('mlwb.tuneOnSlurm', {
      uri: vscode.Uri.file(script('tune_objective.py')), profile: 'test', workers: 2, trialsPerWorker: 3, study: 'quad', confirm: false,
    });
    assert.equal(submitted.runs.length, 2);
    assert.match(fs.readFileSync(submitted.scriptFile, 'utf8'), /--storage \S*tuning\/quad\.optuna-journal --study-name quad --n-trials 3 --worker/);
    const runs = await Promise.all(submitted.runs.map((s) => ended(s.id)));
    assert.deepEqual(runs.map((r) => r.status), ['completed', 'completed'], runs.map((r) => r.error).join('; '));
    const s = await (await api()).store.get();
    const sessions = s.listTuningSessions().filter((t) => t.studyName === 'quad');
    assert.equal(sessions.length, 1, 'one session for the study, whichever worker wrote it');
    const study = s.getTuningSession(sessions[0].id)!;
    assert.equal(study.trials.length, 6, 'every worker’s trials');
    assert.deepEqual([...new Set(study.trials.map((t) => t.number))].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    assert.ok(fs.existsSync(path.join(workspaceDir(), '.mlwb/tuning/quad.optuna-journal')));

    // Rerun of a worker: one more worker of the same study, its trials joining the session.
    const again = await vscode.commands.executeCommand<Submitted>('mlwb.rerun', submitted.runs[0].id, { confirm: false });
    const extra = await ended(again.runs[0].id);
    assert.equal(extra.status, 'completed', extra.error);
    assert.match(fs.readFileSync(again.scriptFile, 'utf8'), new RegExp(`-m mlwb tune --run-id ${extra.id} .*--study-name quad --n-trials 3 --worker`));
    await (await api()).store.refresh();
    const grown = (await (await api()).store.get()).getTuningSession(sessions[0].id)!;
    assert.deepEqual(grown.trials.map((t) => t.number).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('Show Slurm Job Output opens the job’s output file', async () => {
    const s = await (await api()).store.get();
    const done = s.listRuns().runs.find((r) => r.job && r.status === 'failed');
    assert.ok(done, 'the failed job of an earlier test');
    await vscode.commands.executeCommand('mlwb.showSlurmJobOutput', done.id);
    const editor = await waitFor(() => vscode.window.activeTextEditor?.document.uri.fsPath === done.job?.output ? vscode.window.activeTextEditor : undefined, 'the output in an editor');
    assert.match(editor.document.getText(), /bad data in row 7/);
  });

  it('names the missing command and the setting when Slurm’s commands are not there, and creates no run', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-slurm-'));
    await config().update('binDir', empty, vscode.ConfigurationTarget.Workspace);
    try {
      const workbench = await api();
      const before = (await workbench.store.get()).listRuns().total;
      await assert.rejects(
        workbench.slurm.submit({ uri: vscode.Uri.file(script('slurm_train.py')), profile: 'test', args: [], confirm: false }),
        /"sbatch" was not found in .*no-slurm-.* \(mlwb\.slurm\.binDir\)/,
      );
      await workbench.store.refresh();
      assert.equal((await workbench.store.get()).listRuns().total, before);
    } finally {
      await config().update('binDir', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
