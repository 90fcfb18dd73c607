import * as assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LaunchedRun } from '../../src/runner/run-manager';
import type { RunDashboard } from '../../src/runs/dashboard/dashboard-panel';
import type { ToDashboard } from '../../src/runs/dashboard/contract';
import { api, workspaceDir } from './helpers';

/** The scripts written for MLflow that the python layer runs too (mlflow is not installed: the stand-in runs). */
const TRACKERS = join(__dirname, '../../../python-runner/tests/data/trackers');

async function runTrackerScript(name: string): Promise<{ run: LaunchedRun; runId: string }> {
  const target = join(workspaceDir(), name);
  copyFileSync(join(TRACKERS, name), target);
  await vscode.window.showTextDocument(vscode.Uri.file(target));
  const run = await vscode.commands.executeCommand<LaunchedRun | undefined>('mlwb.runCurrentFile');
  assert.ok(run, `${name} was launched`);
  return { run, runId: await run.started };
}

async function store() {
  await (await api()).store.refresh();
  return (await api()).store.get();
}

function firstPayload(dashboard: RunDashboard): Promise<Extract<ToDashboard, { type: 'run' }>> {
  return new Promise((resolve) => {
    const sub = dashboard.onDidSend((m: ToDashboard) => {
      if (m.type !== 'run') return;
      sub.dispose();
      resolve(m);
    });
  });
}

const MODEL = `tracking-quickstart-${Date.now().toString(36)}`;

describe('scripts written for MLflow, run with Run Current Training File', () => {
  // Activated first: a command that activates the extension returns its result serialized (a LaunchedRun loses its promises).
  before(api);

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it("MLflow's quickstart: a completed run with its params, metric, tag and a model that Register Model takes", async () => {
    const { run, runId } = await runTrackerScript('mlflow_quickstart.py');
    const outcome = await run.finished;
    assert.equal(outcome.status, 'completed', `outcome ${JSON.stringify(outcome)} of run ${runId}`);
    const detail = (await store()).getRun(runId)!;
    assert.equal(detail.status, 'completed');
    assert.equal(detail.experimentName, 'MLflow Quickstart');
    assert.deepEqual({ solver: detail.params.solver, max_iter: detail.params.max_iter, random_state: detail.params.random_state },
      { solver: 'lbfgs', max_iter: 1000, random_state: 8888 });
    const accuracy = detail.metrics.find((m) => m.key === 'accuracy');
    assert.equal(accuracy?.last, 1);
    assert.ok(detail.tags.includes('Training Info=Basic LR model for iris data'), `tags: ${detail.tags}`);
    assert.ok(detail.logs.some((l) => l.msg.includes("mlflow is not installed: mlwb's stand-in")), 'the stand-in says it is in use');
    const model = detail.files.find((f) => f.path === 'iris_model/model.pkl');
    assert.ok(model && model.tags.includes('model'), `the logged model is a run file: ${detail.files.map((f) => f.path)}`);
    const registered = await vscode.commands.executeCommand('mlwb.registerModel', runId, { file: model.path, model: MODEL, description: '' });
    assert.deepEqual(registered, { model: MODEL, version: 1 });
    const version = (await store()).getVersion(MODEL, 1)!;
    assert.equal(version.format, 'pickle');
    assert.equal(version.sourceRun, runId);
    assert.equal(version.metrics.accuracy?.last, 1);
  });

  it('a sweep of nested MLflow runs: each nested run is a run of its own, linked both ways in the dashboards', async () => {
    const { run, runId } = await runTrackerScript('mlflow_sweep.py');
    const outcome = await run.finished;
    assert.equal(outcome.status, 'completed', `outcome ${JSON.stringify(outcome)} of run ${runId}`);
    const s = await store();
    const parent = s.getRun(runId)!;
    assert.equal(parent.name, 'sweep');
    assert.deepEqual(parent.children.map((c) => [c.name, c.status]), [['rf-5', 'completed'], ['rf-20', 'completed']]);
    assert.ok(parent.tags.includes('team=tabular') && parent.tags.some((t) => t.startsWith('best_run=')), `tags: ${parent.tags}`);
    const child = s.getRun(parent.children[1].id)!;
    assert.equal(child.parentRun?.id, runId);
    assert.equal(child.params['autolog.RandomForestClassifier.n_estimators'], 20);
    assert.ok(child.metrics.some((m) => m.key === 'accuracy'));

    const dashboards = (await api()).panels.dashboards;
    const pending = firstPayload(dashboards.open(runId));
    const shown = await pending;
    assert.deepEqual(shown.data.run.children.map((c) => c.name), ['rf-5', 'rf-20']);
    const childPending = firstPayload(dashboards.open(child.id));
    const childShown = await childPending;
    assert.deepEqual(childShown.data.run.parent, { id: runId, name: 'sweep', status: 'completed' });
  });
});
