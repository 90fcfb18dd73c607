import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { ExplainResult } from '../../src/explain/explain-commands';
import type { WorkbenchApi } from '../../src/extension';
import type { ModelNode, VersionNode } from '../../src/registry/model-nodes';
import type { RunNode } from '../../src/runs/run-nodes';
import { api, extension, waitFor, workspaceDir } from './helpers';

// Explain Model… end to end in a real VS Code: real forests trained by Debian's Python, registered in
// a store of this suite's own, explained by the real runner as a background job (JSON-RPC progress,
// cancel), stored with the version or the run, and shown in the panel. Values are given as
// arguments; the ui layer drives the pickers and the modal.
const STORE = '.mlwb-explain';
const PY = process.env.MLWB_PYTHON ?? '/usr/bin/python3';
const exec = promisify(execFile);

describe('explain: Explain Model… and the explanation panel, against a real store and runner', function () {
  this.timeout(180_000);
  let wb: WorkbenchApi;
  let data: string;
  const store = () => wb.store.get();
  const explain = (target: unknown, options: object) => vscode.commands.executeCommand<ExplainResult | undefined>('mlwb.explainModel', target, options);
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
    data = join(workspaceDir(), 'explain-data');
    await exec(PY, [join(extension().extensionPath, 'test/vscode/fixtures/explain_models.py'), data]);
    for (const [model, file] of [['explain-rf', 'forest.pkl'], ['explain-wide', 'wide.pkl']]) {
      await wb.store.edit((s) => s.registerVersion(model, { sourceFile: join(data, file) }), { models: [model] });
    }
    await vscode.commands.executeCommand('workbench.view.extension.mlwb');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('mlwb').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await store()).layout.root === join(workspaceDir(), '.mlwb'), 'the store to move back');
  });

  it("explains a version from its Models view node: explain.json in the version's directory, then the panel shows it", async () => {
    const node = await versionNode('explain-rf', 1);
    const result = await explain(node, { data: join(data, 'iris.csv'), target: 'species', confirm: false });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    const v = (await store()).getVersion('explain-rf', 1)!;
    const file = join(dirname(v.filePath), 'explain', 'explain.json');
    assert.equal(result.path, file);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(written.schema, 'mlwb.explain/1');
    assert.equal(written.metadata.data.target, 'species');

    const shown = await waitFor(() => {
      const m = wb.explain.panels.shown(file);
      return m?.type === 'explanation' ? m.data : undefined;
    }, 'the panel to get the explanation');
    assert.deepEqual(shown.outputs.map((o) => o.name), ['P(setosa)', 'P(versicolor)', 'P(virginica)']);
    assert.equal(shown.features[0].name, written.importance[0].feature, 'most important feature first');
    assert.equal(shown.rows.sent, 150);
    assert.ok(shown.pdp.length > 0 && shown.importance.every((r) => typeof r.permutationMean === 'number'));
  });

  it('takes { model, version, data, target } as one argument too, and Open Explanation opens the latest', async () => {
    // The features only (no label column): nothing to leave out, no permutation importance.
    const lines = readFileSync(join(data, 'iris.csv'), 'utf8').trim().split('\n');
    writeFileSync(join(data, 'features.csv'), lines.map((l) => l.split(',').slice(0, -1).join(',')).join('\n'));
    const result = await vscode.commands.executeCommand<ExplainResult>('mlwb.explainModel', { model: 'explain-rf', version: 1, data: 'explain-data/features.csv', target: '', confirm: false, open: false });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    const written = JSON.parse(readFileSync(result.path!, 'utf8'));
    assert.equal(written.permutationImportance, null, 'no target: no permutation importance');
    const opened = await vscode.commands.executeCommand<string>('mlwb.openExplanation', await versionNode('explain-rf', 1));
    assert.equal(opened, result.path);
    await waitFor(() => {
      const m = wb.explain.panels.shown(opened);
      return m?.type === 'explanation' && m.data.permutationSkipped ? true : undefined;
    }, 'the panel to show the new file');
  });

  it('cancel mid-way (KernelSHAP on 24 features): the job ends cancelled and writes nothing', async () => {
    const pending = explain({ model: 'explain-wide', version: 1 }, { data: join(data, 'wide.csv'), target: 'y', method: 'kernel', rows: 60, confirm: false });
    const job = await waitFor(() => wb.explain.commands.active.find((j) => j.progress?.stage === 'shap' && j.progress.current > 0), 'the job to be computing SHAP values', 60_000);
    await job.cancel();
    const result = await pending;
    assert.equal(result?.status, 'cancelled', JSON.stringify(result));
    assert.equal(result.exitCode, 130);
    const v = (await store()).getVersion('explain-wide', 1)!;
    assert.equal(existsSync(join(dirname(v.filePath), 'explain', 'explain.json')), false);
    assert.equal(wb.explain.commands.active.length, 0);
  });

  it("bad input: the runner's one-line error comes back (exit 2), nothing is opened", async () => {
    const result = await explain({ model: 'explain-rf', version: 1 }, { data: join(data, 'iris.csv'), target: 'no_such_column', confirm: false });
    assert.equal(result?.status, 'failed');
    assert.equal(result.exitCode, 2);
    assert.match(result.error ?? '', /no_such_column/);
  });

  it("explains a run's model file with the run: <run>/files/explain/explain.json, listed in the run's files", async () => {
    const env = { ...process.env, PYTHONPATH: join(extension().extensionPath, 'python-runner'), MLWB_STORE: join(workspaceDir(), STORE) };
    await exec(PY, ['train.py', '--trees', '6'], { cwd: workspaceDir(), env });
    await vscode.commands.executeCommand('mlwb.refresh');
    const runNode = await waitFor(async () => (await wb.views.runs.tree.getChildren()).find((n): n is RunNode => n.kind === 'run'), 'the trained run');
    const result = await explain(runNode, { data: 'data/iris.csv', target: 'species', confirm: false });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    assert.equal(result.path, join(workspaceDir(), STORE, 'runs', runNode.run.id, 'files', 'explain', 'explain.json'));
    await waitFor(async () => (await store()).getRun(runNode.run.id)?.files.some((f) => f.path === 'explain/explain.json'), "the run's file record");
    const opened = await vscode.commands.executeCommand<string>('mlwb.openExplanation', runNode);
    assert.equal(opened, result.path);
  });

  it('a malformed explain.json: the panel says which field is wrong, and a missing one says it is missing', async () => {
    const dir = join(workspaceDir(), 'broken-explanation');
    mkdirSync(dir, { recursive: true });
    const good = JSON.parse(readFileSync(join(dirname((await store()).getVersion('explain-rf', 1)!.filePath), 'explain', 'explain.json'), 'utf8'));
    good.shap.outputs[0].values[3] = [1, 2];
    const file = join(dir, 'explain.json');
    writeFileSync(file, JSON.stringify(good));
    await vscode.commands.executeCommand('mlwb.openExplanation', vscode.Uri.file(file));
    const shown = await waitFor(() => wb.explain.panels.shown(file), 'the panel');
    assert.equal(shown.type, 'error');
    assert.match(shown.type === 'error' ? shown.message : '', /shap\.outputs\[0\]\.values\[3\] must have 4 entries/);
    assert.ok(statSync(file).isFile());

    const missing = join(dir, 'gone', 'explain.json');
    await wb.explain.panels.show(missing);
    const gone = await waitFor(() => wb.explain.panels.shown(missing), 'the panel of a missing file');
    assert.match(gone.type === 'error' ? gone.message : '', /does not exist/);
  });
});
