import * as assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FigureImage, ToDashboard } from '../../src/runs/dashboard/contract';
import type { RunDashboard } from '../../src/runs/dashboard/dashboard-panel';
import type { LaunchedRun } from '../../src/runner/run-manager';
import { api, waitFor, workspaceDir } from './helpers';

// Unmodified scripts in the style of scikit-learn's, XGBoost's and PyTorch's own examples, run with the real
// Run Current Training File: what they compute (held-out metrics, reports, figures, per-round evaluation,
// argparse hyperparameters) is in the run, and the dashboard shows the figures and reports.
const SCRIPTS = join(__dirname, '../../../python-runner/tests/data/capture');

async function runScript(name: string, args?: string[]) {
  const target = join(workspaceDir(), name);
  copyFileSync(join(SCRIPTS, name), target);
  await vscode.window.showTextDocument(vscode.Uri.file(target));
  const run = await vscode.commands.executeCommand<LaunchedRun | undefined>('mlwb.runCurrentFile', args ? { args } : undefined);
  assert.ok(run, `${name} was launched`);
  const runId = await run.started;
  const outcome = await run.finished;
  assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
  const store = (await api()).store;
  await store.refresh();
  const detail = (await store.get()).getRun(runId);
  assert.ok(detail, 'the run is in the store');
  return detail;
}

describe('zero-change capture through Run Current Training File (real VS Code, real Python)', () => {
  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('the digits gallery script: its accuracy, report, confusion matrix and figures, shown by the dashboard', async () => {
    const run = await runScript('plot_digits_classification.py');
    assert.deepEqual(run.metrics.filter((m) => m.key.startsWith('test/')).map((m) => [m.key, m.count]), [['test/accuracy_score', 1]]);
    const figures = run.files.filter((f) => f.path.startsWith('figures/')).map((f) => f.path).sort();
    assert.deepEqual(figures, ['figures/confusion-matrix.png', 'figures/prediction-8.png', 'figures/training-0.png']);

    const sent: ToDashboard[] = [];
    const dashboard = (await vscode.commands.executeCommand('mlwb.openRun', run.id)) as RunDashboard;
    const sub = dashboard.onDidSend((m) => sent.push(m));
    try {
      const images = await waitFor(() => {
        const got = sent.flatMap((m) => (m.type === 'figures' ? m.figures : []));
        return got.length === 3 ? got : undefined;
      }, 'the three figures’ images', 30_000);
      const first = sent.find((m) => m.type === 'run');
      assert.ok(first && first.type === 'run');
      assert.deepEqual(first.data.figures.map((f) => f.path).sort(), figures);
      assert.ok(images.every((i: FigureImage) => i.dataUrl?.startsWith('data:image/png;base64,iVBORw0KGgo')), 'PNG data URLs');
      const kinds = first.data.reports.map((r) => [r.kind, r.path]).sort();
      assert.deepEqual(kinds, [['classification_report', 'reports/test/classification_report.json'], ['confusion_matrix', 'reports/test/confusion_matrix.json']]);
      const matrix = first.data.reports.find((r) => r.kind === 'confusion_matrix');
      assert.ok(matrix?.kind === 'confusion_matrix' && matrix.labels.length === 10);
      const total = matrix.matrix.flat().reduce((a, b) => a + b, 0);
      assert.equal(total, 899, 'every test digit is in the matrix');
    } finally {
      sub.dispose();
    }
  });

  it('an XGBoost script: one series per eval set and metric per round, and the model as XGBoost JSON', async () => {
    const run = await runScript('xgboost_train.py');
    const byKey = new Map(run.metrics.map((m) => [m.key, m]));
    const rounds = byKey.get('eval/eval/logloss')?.count ?? 0;
    assert.ok(rounds >= 6, `eval/eval/logloss has ${rounds} points`);
    for (const key of ['eval/train/logloss', 'eval/train/error', 'eval/eval/error']) assert.equal(byKey.get(key)?.count, rounds, key);
    assert.equal(byKey.get('eval/validation_0/logloss')?.count, 20);
    assert.equal(byKey.get('eval/validation_1/logloss')?.count, 20);
    assert.equal(byKey.get('xgboost/best_iteration')?.count, 2);
    assert.equal(run.params['xgboost.max_depth'], 3);
    assert.ok(run.files.some((f) => f.path === 'xgboost/booster.json' && f.tags.includes('model')));
  });

  it('a PyTorch example’s argparse hyperparameters are params, the secret one masked', async () => {
    const run = await runScript('mnist_argparse.py', ['--epochs', '1', '--lr', '0.5', '--api-key', 'vscode-secret-key-1']);
    assert.equal(run.params['args.lr'], 0.5);
    assert.equal(run.params['args.epochs'], 1);
    assert.equal(run.params['args.batch_size'], 64);
    assert.equal(run.params['args.api_key'], '***');
    assert.ok(!JSON.stringify(run).includes('vscode-secret-key-1'), 'the secret is nowhere in the run');
  });
});
