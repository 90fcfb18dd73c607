import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { EvaluateResult } from '../../src/evaluate/evaluate-commands';
import type { WorkbenchApi } from '../../src/extension';
import type { ModelNode, VersionNode } from '../../src/registry/model-nodes';
import type { RunNode } from '../../src/runs/run-nodes';
import type { GateRecord } from '../../src/store/records';
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
    assert.deepEqual(shown.version, { model: 'eval-cancer', version: 1 }, 'a version’s evaluation: its threshold can be saved from the panel');
    assert.ok(shown.sides[0].evaluation.threshold?.best_f1_threshold !== undefined);
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

  it("evaluates a run's model file with the run: <run>/files/evaluation/evaluation.json, listed in the run's files", async () => {
    const env = { ...process.env, PYTHONPATH: join(extension().extensionPath, 'python-runner'), MLWB_STORE: join(workspaceDir(), STORE) };
    await exec(PY, ['train.py', '--trees', '5'], { cwd: workspaceDir(), env });
    await vscode.commands.executeCommand('mlwb.refresh');
    const runNode = await waitFor(async () => (await wb.views.runs.tree.getChildren()).find((n): n is RunNode => n.kind === 'run'), 'the trained run');
    const result = await vscode.commands.executeCommand<EvaluateResult>('mlwb.evaluateModel', runNode, { data: 'data/iris.csv', target: 'species', confirm: false, open: false });
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    assert.equal(result.path, join(workspaceDir(), STORE, 'runs', runNode.run.id, 'files', 'evaluation', 'evaluation.json'));
    await waitFor(async () => (await store()).getRun(runNode.run.id)?.files.some((f) => f.path === 'evaluation/evaluation.json'), "the run's file record");
    assert.equal(JSON.parse(readFileSync(result.path!, 'utf8')).task, 'multiclass');
  });

  it('a bad target: an error result naming the column, nothing written', async () => {
    const result = await vscode.commands.executeCommand<EvaluateResult>('mlwb.evaluateModel', 'eval-ridge@1', { data: join(data, 'diabetes.csv'), target: 'nope', confirm: false, open: false });
    assert.equal(result?.status, 'failed');
    assert.match(result.error ?? '', /nope/);
  });

  it('cancel while predicting (what the progress notification’s Cancel calls: SIGTERM to the job): cancelled, nothing written', async () => {
    const slow = join(workspaceDir(), 'evaluate-slow');
    await exec(PY, [join(extension().extensionPath, 'test/vscode/fixtures/evaluate_models.py'), slow, '--slow']);
    const pending = vscode.commands.executeCommand<EvaluateResult>('mlwb.evaluateModel', vscode.Uri.file(join(slow, 'slow.pkl')), { data: join(slow, 'slow.csv'), target: 'y', confirm: false, open: false });
    const job = await waitFor(() => wb.evaluate.commands.active[0], 'the evaluate job to start');
    await new Promise<void>((resolve) => job.onProgress((p) => p.stage.startsWith('predict') && resolve()));
    job.cancel();
    const result = await pending;
    assert.equal(result?.status, 'cancelled', JSON.stringify(result));
    assert.equal(wb.evaluate.commands.active.length, 0);
    const out = join((await store()).layout.root, 'evaluations');
    assert.ok(!readdirSync(out).some((d) => d.startsWith('slow.pkl-') && existsSync(join(out, d, 'evaluation.json'))), 'no evaluation.json for the cancelled job');
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

describe('evaluate: the promotion gate (Promote to Production on pinned data), against a real store and runner', function () {
  this.timeout(240_000);
  let wb: WorkbenchApi;
  let data: string;
  const store = () => wb.store.get();
  const MODEL = 'gate-cancer';
  const promote = (version: number) => vscode.commands.executeCommand<{ archived: number[]; gate?: GateRecord; blocked?: boolean }>('mlwb.promoteToProduction', `${MODEL}@${version}`, { confirm: false, requests: 30 });
  const setGate = (value: unknown) => vscode.workspace.getConfiguration('mlwb').update('registry.gate', value, vscode.ConfigurationTarget.Workspace);

  before(async () => {
    wb = await api();
    await vscode.workspace.getConfiguration('mlwb').update('storePath', '.mlwb-gate', vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await store()).layout.root === join(workspaceDir(), '.mlwb-gate'), 'the store to move');
    data = join(workspaceDir(), 'gate-data');
    await exec(PY, [join(extension().extensionPath, 'test/vscode/fixtures/evaluate_models.py'), data]);
    for (const file of ['good.pkl', 'good_again.pkl', 'weak.pkl']) await wb.store.edit((s) => s.registerVersion(MODEL, { sourceFile: join(data, file) }), { models: [MODEL] });
  });

  after(async () => {
    await setGate(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('mlwb').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await store()).layout.root === join(workspaceDir(), '.mlwb'), 'the store to move back');
  });

  it('without pinned data or a rule, Promote to Production is as before (no gate)', async () => {
    const r = await promote(1);
    assert.equal(r?.gate, undefined);
    assert.equal((await store()).getVersion(MODEL, 1)?.stage, 'production');
  });

  it('Set Evaluation Data pins the CSV by path + sha256, audited in the model history', async () => {
    const r = await vscode.commands.executeCommand('mlwb.setEvaluationData', MODEL, { data: 'gate-data/cancer.csv', target: 'label' });
    assert.deepEqual(r, { model: MODEL, data: join(data, 'cancer.csv'), target: 'label' });
    const pinned = (await store()).listModels().find((m) => m.name === MODEL)?.evaluationData;
    assert.equal(pinned?.path, 'gate-data/cancer.csv');
    assert.equal(pinned?.target, 'label');
    assert.ok((await store()).modelHistory(MODEL).some((h) => h.kind === 'evaluation_data'));
  });

  it('passes an equal challenger: promoted, the gate (numbers, smoke) in its stage history', async () => {
    await setGate({ metric: 'accuracy', maxDrop: 0.01, mode: 'block' });
    const r = await promote(2);
    assert.equal(r?.gate?.outcome, 'passed', JSON.stringify(r));
    const v = (await store()).getVersion(MODEL, 2)!;
    assert.equal(v.stage, 'production');
    const last = v.stageHistory[v.stageHistory.length - 1];
    assert.equal(last.to, 'production');
    assert.equal(last.gate?.outcome, 'passed');
    assert.equal(last.gate?.productionVersion, 1);
    assert.equal(last.gate?.challenger, last.gate?.production, 'the same pipeline refitted: the same accuracy');
    assert.equal(last.gate?.smoke?.requests, 30);
    assert.equal(last.gate?.smoke?.errors, 0);
    assert.equal(last.gate?.data?.path, 'gate-data/cancer.csv');
    assert.ok(existsSync(join((await store()).layout.root, last.gate!.evidence!)), 'the comparison it decided on is kept');
  });

  it('blocks a worse challenger in "block" mode: no stage change, the blocked attempt in its history', async () => {
    const r = await promote(3);
    assert.equal(r?.blocked, true, JSON.stringify(r));
    assert.equal(r?.gate?.outcome, 'blocked');
    assert.match(r!.gate!.problems.join('\n'), /accuracy is 0\.0\d+ worse than Production v2/);
    const v = (await store()).getVersion(MODEL, 3)!;
    assert.equal(v.stage, 'none');
    const last = v.stageHistory[v.stageHistory.length - 1];
    assert.deepEqual([last.blocked, last.to, last.gate?.outcome], [true, 'production', 'blocked']);
    assert.ok(last.gate!.drop! > 0.01);
    assert.equal((await store()).getVersion(MODEL, 2)?.stage, 'production', 'Production unchanged');
  });

  it('"warn" mode: the same challenger promoted, recorded as overridden with the numbers', async () => {
    await setGate({ metric: 'accuracy', maxDrop: 0.01, mode: 'warn' });
    const r = await promote(3);
    assert.equal(r?.gate?.outcome, 'overridden', JSON.stringify(r));
    assert.deepEqual(r?.archived, [2]);
    const v = (await store()).getVersion(MODEL, 3)!;
    assert.equal(v.stage, 'production');
    const last = v.stageHistory[v.stageHistory.length - 1];
    assert.equal(last.gate?.outcome, 'overridden');
    assert.ok(last.gate!.production! - last.gate!.challenger! > 0.01);
  });

  it('Infer Signature records the columns of the pinned data with the version; the version panel shows them', async () => {
    const r = await vscode.commands.executeCommand<{ columns: { name: string; type: string }[]; source: string }>('mlwb.inferSignature', `${MODEL}@2`);
    assert.equal(r?.columns.length, 30, JSON.stringify(r));
    assert.ok(r.columns.every((c) => c.type === 'float'), 'breast-cancer measurements');
    assert.ok(!r.columns.some((c) => c.name === 'label'), 'the target is not an input');
    const v = (await store()).getVersion(MODEL, 2)!;
    assert.deepEqual(v.signature?.columns.map((c) => c.name), r.columns.map((c) => c.name));
    assert.match(v.signature!.source, /evaluation data gate-data\/cancer.csv/);
    await vscode.commands.executeCommand('mlwb.openVersion', { model: MODEL, version: 2 });
    const shown = await waitFor(() => {
      const m = wb.versions.shown({ model: MODEL, version: 2 });
      return m?.type === 'version' && m.data.signature ? m.data : undefined;
    }, 'the version panel with the signature');
    assert.equal(shown.signature?.columns.length, 30);
  });

  it('Serve enforces the recorded signature (a request without one of its columns: a 422 naming it) and the saved threshold', async () => {
    assert.equal(await vscode.commands.executeCommand('mlwb.setThreshold', `${MODEL}@2`, 0.3), 0.3);
    assert.equal((await store()).getVersion(MODEL, 2)?.threshold, 0.3);
    const served = await vscode.commands.executeCommand<{ url: string }>('mlwb.serveVersion', `${MODEL}@2`, { confirm: false });
    assert.ok(served?.url, 'served');
    try {
      const columns = (await store()).getVersion(MODEL, 2)!.signature!.columns.map((c) => c.name);
      const row = columns.map(() => 1.5);
      const okAnswer = await fetch(`${served.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ dataframe_split: { columns, data: [row] } }) });
      assert.equal(okAnswer.status, 200, await okAnswer.text());
      const missing = await fetch(`${served.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ dataframe_split: { columns: columns.slice(1), data: [row.slice(1)] } }) });
      assert.equal(missing.status, 422);
      const body = (await missing.json()) as { problems: { column: string; problem: string }[] };
      assert.deepEqual(body.problems, [{ column: columns[0], problem: 'missing' }]);
      const metadata = (await (await fetch(`${served.url}/metadata`)).json()) as { threshold?: number };
      assert.equal(metadata.threshold, 0.3);
    } finally {
      await vscode.commands.executeCommand('mlwb.stopServing', { model: MODEL, version: 2 });
    }
  });

  it('a pinned file changed on disk: a gate problem, and the version panel flags it', async () => {
    const csv = join(data, 'cancer.csv');
    const text = readFileSync(csv, 'utf8');
    writeFileSync(csv, text.split('\n').slice(0, 200).join('\n') + '\n');
    await wb.store.edit((s) => s.setStage(MODEL, 1, 'none'), { models: [MODEL] });
    const r = await promote(1);
    assert.equal(r?.gate?.outcome, 'overridden');
    assert.match(r!.gate!.problems.join('\n'), /changed since it was pinned/);
    await vscode.commands.executeCommand('mlwb.openVersion', { model: MODEL, version: 1 });
    const shown = await waitFor(() => {
      const m = wb.versions.shown({ model: MODEL, version: 1 });
      return m?.type === 'version' ? m.data : undefined;
    }, 'the version panel');
    assert.equal(shown.evaluationData?.state, 'changed');
    const tree = wb.views.models.tree;
    await vscode.commands.executeCommand('mlwb.refresh');
    const node = (await tree.getChildren()).find((n): n is ModelNode => n.kind === 'model' && n.model.name === MODEL)!;
    const item = await tree.getTreeItem(node);
    assert.match(String(item.description), /⚠ evaluation data changed/);
    writeFileSync(csv, text);
  });

  it('a first promotion (no Production yet): the challenger evaluated alone on the pinned data, passed', async () => {
    const first = 'gate-first';
    await wb.store.edit((s) => s.registerVersion(first, { sourceFile: join(data, 'ridge.pkl') }), { models: [first] });
    await vscode.commands.executeCommand('mlwb.setEvaluationData', first, { data: join(data, 'diabetes.csv'), target: 'progression' });
    await setGate({ maxDrop: 0, mode: 'block' });
    const r = await vscode.commands.executeCommand<{ gate?: GateRecord }>('mlwb.promoteToProduction', `${first}@1`, { confirm: false, requests: 20 });
    assert.equal(r?.gate?.outcome, 'passed', JSON.stringify(r));
    assert.equal(r?.gate?.metric, 'rmse');
    assert.equal(r?.gate?.production, undefined);
    assert.ok(r!.gate!.challenger! > 0);
    assert.equal((await store()).getVersion(first, 1)?.stage, 'production');
  });
});
