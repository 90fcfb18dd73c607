import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { EvaluateResult } from '../../src/evaluate/evaluate-commands';
import type { WorkbenchApi } from '../../src/extension';
import type { ModelNode, VersionNode } from '../../src/registry/model-nodes';
import { api, extension, waitFor, workspaceDir } from './helpers';

// Evaluate Model… and Compare Models… end to end in a real VS Code: real sklearn models trained by
// Debian's Python, registered in this suite's own store, evaluated by the real runner as background
// jobs, shown in the evaluation panel. Values are given as arguments; the ui layer drives the pickers.
const STORE = '.mlwb-evaluate';
const PY = process.env.MLWB_PYTHON ?? '/usr/bin/python3';
const exec = promisify(execFile);

describe('evaluate: Evaluate Model…, Compare Models… and the evaluation panel, against a real store and runner', function () {
  this.timeout(180_000);
  let wb: WorkbenchApi;
  let data: string;
  const store = () => wb.store.get();
  const versionNode = async (model: string, version: number) => {
    const tree = wb.views.models.tree;
    const parent = (await tree.getChildren()).find((n): n is ModelNode => n.kind === 'model' && n.model.name === model);
    const node = parent && ((await tree.getChildren(parent)) as VersionNode[]).find((v) => v.version.version === version);
    assert.ok(node, `${model} v${version} in the Models view`);
    return node;
  };

  before(async () => {
    wb = await api();
    await vscode.workspace.getConfiguration('mlwb').update('storePath', STORE, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await store()).layout.root === join(workspaceDir(), STORE), 'the store to move');
    data = join(workspaceDir(), 'evaluate-data');
    await exec(PY, [join(extension().extensionPath, 'test/vscode/fixtures/evaluate_models.py'), data]);
    for (const file of ['good.pkl', 'weak.pkl']) await wb.store.edit((s) => s.registerVersion('eval-cancer', { sourceFile: join(data, file) }), { models: ['eval-cancer'] });
    await wb.store.edit((s) => s.registerVersion('eval-ridge', { sourceFile: join(data, 'ridge.pkl') }), { models: ['eval-ridge'] });
    await vscode.commands.executeCommand('workbench.view.extension.mlwb');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('mlwb').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await store()).layout.root === join(workspaceDir(), '.mlwb'), 'the store to move back');
  });

  it("evaluates a version from its Models view node: evaluation.json in the version's directory, the panel shows its metrics", async () => {
    const node = await versionNode('eval-cancer', 1);
    const result = await vscode.commands.executeCommand<EvaluateResult>('mlwb.evaluateModel', node, { data: join(data, 'cancer.csv'), target: 'label', confirm: false });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    const v = (await store()).getVersion('eval-cancer', 1)!;
    const file = join(dirname(v.filePath), 'evaluation', 'evaluation.json');
    assert.equal(result.path, file);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(written.model.sha256, v.sha256, 'the registered bytes were evaluated');
    const shown = await waitFor(() => {
      const m = wb.evaluate.panels.shown(file);
      return m?.type === 'evaluation' ? m.data : undefined;
    }, 'the panel to get the evaluation');
    assert.equal(shown.sides.length, 1);
    assert.equal(shown.sides[0].name, 'eval-cancer v1');
    assert.equal(shown.sides[0].evaluation.metrics.accuracy, written.metrics.accuracy);
    assert.equal(shown.sides[0].evaluation.curves?.roc.length, 1);
  });

  it('a regression version, from { model, version, data, target } in one argument', async () => {
    const result = await vscode.commands.executeCommand<EvaluateResult>('mlwb.evaluateModel', { model: 'eval-ridge', version: 1, data: 'evaluate-data/diabetes.csv', target: 'progression', confirm: false, open: false });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    const written = JSON.parse(readFileSync(result.path!, 'utf8'));
    assert.equal(written.task, 'regression');
    assert.ok(written.metrics.r2 > 0.4, String(written.metrics.r2));
  });

  it('a model file outside the store (the Explorer’s Uri): into the store’s evaluations/', async () => {
    const result = await vscode.commands.executeCommand<EvaluateResult>('mlwb.evaluateModel', vscode.Uri.file(join(data, 'weak.pkl')), { data: join(data, 'cancer.csv'), target: 'label', confirm: false, open: false });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    assert.ok(result.path!.startsWith(join((await store()).layout.root, 'evaluations') + '/'), result.path);
  });

  it('a bad target: an error result naming the column, nothing written', async () => {
    const result = await vscode.commands.executeCommand<EvaluateResult>('mlwb.evaluateModel', 'eval-ridge@1', { data: join(data, 'diabetes.csv'), target: 'nope', confirm: false, open: false });
    assert.equal(result?.status, 'failed');
    assert.match(result.error ?? '', /nope/);
  });

  it('compares two versions on the same rows: deltas, the bootstrap interval and McNemar in the panel', async () => {
    await wb.store.edit((s) => s.setStage('eval-cancer', 1, 'production'), { models: ['eval-cancer'] });
    const result = await vscode.commands.executeCommand<EvaluateResult>('mlwb.compareModels', 'eval-cancer@2', 'eval-cancer@1', { data: join(data, 'cancer.csv'), target: 'label', confirm: false, resamples: 300 });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    assert.ok(existsSync(result.path!));
    const shown = await waitFor(() => {
      const m = wb.evaluate.panels.shown(result.path!);
      return m?.type === 'evaluation' ? m.data : undefined;
    }, 'the panel to get the comparison');
    // Production is A: deltas read "the challenger minus Production".
    assert.deepEqual(shown.sides.map((s) => s.name), ['A: eval-cancer v1', 'B: eval-cancer v2']);
    const c = shown.comparison!;
    assert.ok(c.delta.accuracy < 0, 'the stump is worse than the logistic regression');
    assert.equal(c.bootstrap?.resamples, 300);
    assert.ok(c.bootstrap!.high < 0, 'the whole interval is below 0');
    assert.ok(c.mcnemar!.p_value < 0.01);
  });
});
