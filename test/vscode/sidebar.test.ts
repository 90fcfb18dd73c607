import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';
import type { ExperimentNode } from '../../src/experiments/experiment-item';
import type { MoreNode, RunListNode, RunNode } from '../../src/runs/run-nodes';
import { JOURNAL_VERSION } from '../../src/store/records';
import { api, extension, waitFor, workspaceDir } from './helpers';

// The sidebar against a real store of its own (`mlwb.storePath` pointed elsewhere for this suite, so
// the other suites see the workspace's usual empty store): runs written by the real Python SDK, plus
// journals written directly where a test needs many runs or a given status.
const STORE = '.mlwb-sidebar';
const PY = process.env.MLWB_PYTHON ?? '/usr/bin/python3';

async function train(...args: string[]): Promise<void> {
  await promisify(execFile)(PY, ['train.py', ...args], {
    cwd: workspaceDir(),
    env: { ...process.env, PYTHONPATH: join(extension().extensionPath, 'python-runner'), MLWB_STORE: join(workspaceDir(), STORE) },
  });
}

/** A run as the SDK lays it out, written in one go. */
function writeRun(id: string, experiment: string, created: number, status: 'completed' | 'failed', script = '/elsewhere/other.py'): void {
  const dir = join(workspaceDir(), STORE, 'runs', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ v: JOURNAL_VERSION, id, name: id, experiment: { id: experiment, name: experiment }, created, script: { path: script }, argv: [], cwd: '/', host: 'elsewhere', pid: 1 }),
  );
  const v = JOURNAL_VERSION;
  appendFileSync(
    join(dir, 'events.jsonl'),
    [
      { v, t: 'status', ts: created, status: 'running' },
      { v, t: 'params', ts: created, values: { lr: 0.1 } },
      { v, t: 'status', ts: created + 2, status, ...(status === 'failed' ? { error: 'boom' } : {}) },
    ].map((r) => `${JSON.stringify(r)}\n`).join(''),
  );
}

const label = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : item.label?.label);

describe('sidebar: the Experiments and Runs views and their commands, against a real store', function () {
  this.timeout(120_000);
  let wb: WorkbenchApi;
  const runsTree = () => wb.views.runs.tree;
  const shown = async () => (await runsTree().getChildren()).filter((n): n is RunNode => n.kind === 'run');
  const names = async () => (await shown()).map((n) => n.run.name);

  before(async () => {
    wb = await api();
    await vscode.workspace.getConfiguration('mlwb').update('storePath', STORE, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await wb.store.get()).layout.root === join(workspaceDir(), STORE), 'the store to move');
    await train('--trees', '6', '--seed', '1');
    await train('--trees', '16', '--seed', '2');
    await train('--trees', '11', '--seed', '3');
    writeRun('20200101-000000-failed', 'other/exp', 1_577_836_800, 'failed');
    await vscode.commands.executeCommand('workbench.view.extension.mlwb');
    await vscode.commands.executeCommand('mlwb.refresh');
    await waitFor(async () => (await shown()).length === 4, 'four runs in the Runs view');
  });

  after(async () => {
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
    await vscode.commands.executeCommand('mlwb.sortRuns', { by: 'created', dir: 'desc' });
    await vscode.commands.executeCommand('mlwb.hideArchivedExperiments');
    await vscode.workspace.getConfiguration('mlwb').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await wb.store.get()).layout.root === join(workspaceDir(), '.mlwb'), 'the store to move back');
  });

  it('lists runs newest first with status, duration and the eval metric; params and metrics on hover', async () => {
    const nodes = await shown();
    assert.deepEqual(nodes.map((n) => n.run.status), ['completed', 'completed', 'completed', 'failed']);
    assert.ok(nodes[0].run.created > nodes[1].run.created && nodes[1].run.created > nodes[2].run.created);
    const item = runsTree().getTreeItem(nodes[0]);
    assert.equal(item.contextValue, 'run.completed');
    assert.match(String(item.description), /^\d+\.\d s · eval\/accuracy (0\.\d+|1)$/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
    assert.equal((runsTree().getTreeItem(nodes[3]).iconPath as vscode.ThemeIcon).id, 'error');
    const resolved = await runsTree().resolveTreeItem(item, nodes[0]);
    const tooltip = (resolved.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /\| model\.trees \| 11 \|/);
    assert.match(tooltip, /\| eval\/accuracy \| (0\.\d+|1) \|/);
  });

  it('describes runs by the configured metric (mlwb.runs.descriptionMetric)', async () => {
    await vscode.workspace.getConfiguration('mlwb').update('runs.descriptionMetric', 'train/accuracy', vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(async () => /train\/accuracy/.test(String(runsTree().getTreeItem((await shown())[0]).description)), 'the train metric in the description');
    } finally {
      await vscode.workspace.getConfiguration('mlwb').update('runs.descriptionMetric', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('filters by status, text and tag, shows the filter in the view, and clears it', async () => {
    await vscode.commands.executeCommand('mlwb.filterRuns', { status: ['failed'] });
    assert.deepEqual(await names(), ['20200101-000000-failed']);
    assert.equal(wb.views.runs.view.description, 'failed');
    assert.equal(wb.views.runs.view.message, '1 matching run.');
    await vscode.commands.executeCommand('mlwb.filterRuns', { text: 'nothing-matches-this' });
    assert.deepEqual(await names(), []);
    assert.equal(wb.views.runs.view.message, 'No runs match the filter.');
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
    assert.equal((await names()).length, 4);
    assert.equal(wb.views.runs.view.description, undefined);
    assert.equal(wb.views.runs.view.message, undefined);
  });

  it('filters by a query (MLflow syntax with OR and parentheses) against known values, and offers it again as recent', async () => {
    const store = await wb.store.get();
    const trees = async () => (await shown()).map((n) => store.getRun(n.run.id)?.params['model.trees'] ?? n.run.status);
    const query = "params.model.trees > 10 and metrics.`eval/accuracy` >= 0 or attributes.status = 'FAILED'";
    assert.deepEqual(await vscode.commands.executeCommand('mlwb.filterRuns', { query }), { query });
    assert.deepEqual(await trees(), [11, 16, 'failed']);
    assert.equal(wb.views.runs.view.message, '3 matching runs.');
    assert.equal(wb.views.runs.view.description, query.slice(0, 60) + '…');
    await vscode.commands.executeCommand('mlwb.filterRuns', { query: 'params.seed IN (1, 3) AND NOT (params.model.trees < 10 OR tags.team IS NOT NULL)' });
    assert.deepEqual(await trees(), [11]);
    // A query that does not parse leaves the filter as it was (the error names the column).
    assert.equal(await vscode.commands.executeCommand('mlwb.filterRuns', { query: 'params.seed >' }), undefined);
    assert.deepEqual(wb.views.runs.filter, { query: 'params.seed IN (1, 3) AND NOT (params.model.trees < 10 OR tags.team IS NOT NULL)' });
    assert.deepEqual(wb.views.runs.recentQueries().slice(0, 2), ['params.seed IN (1, 3) AND NOT (params.model.trees < 10 OR tags.team IS NOT NULL)', query]);
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
    assert.equal((await names()).length, 4);
  });

  it('sorts by a metric, duration and name, and shows the sort', async () => {
    const s = await wb.store.get();
    await vscode.commands.executeCommand('mlwb.sortRuns', { by: { metric: 'eval/f1', agg: 'max' }, dir: 'desc' });
    assert.equal(wb.views.runs.view.description, 'by eval/f1 (max) ↓');
    const byF1 = await shown();
    const f1 = byF1.filter((n) => n.metric).map((n) => n.metric!.value as number);
    assert.equal(f1.length, 3);
    assert.deepEqual(f1, [...f1].sort((a, b) => b - a));
    assert.equal(byF1[3].run.status, 'failed', 'runs without the metric come last');
    assert.match(String(runsTree().getTreeItem(byF1[0]).description), /eval\/f1 /);
    await vscode.commands.executeCommand('mlwb.sortRuns', { by: 'name', dir: 'asc' });
    assert.deepEqual(await names(), s.listRuns({ sort: { by: 'name', dir: 'asc' } }).runs.map((r) => r.name));
    assert.match(String(wb.views.runs.view.description), /by name ↑/);
    await vscode.commands.executeCommand('mlwb.sortRuns', { by: 'created', dir: 'desc' });
    assert.equal(wb.views.runs.view.description, undefined);
  });

  it('shows the runs of the open training file with one command', async () => {
    const doc = await vscode.workspace.openTextDocument(join(workspaceDir(), 'train.py'));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('mlwb.showRunsOfFile');
    assert.equal((await names()).length, 3);
    assert.equal(wb.views.runs.view.description, 'file train.py');
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('renames a run, edits its notes and tags, and re-renders only that run (the others keep their nodes)', async () => {
    const before = await shown();
    const target = before[1];
    const fired: (RunListNode | RunListNode[] | undefined)[] = [];
    const sub = runsTree().onDidChangeTreeData((e) => fired.push(e));
    try {
      await vscode.commands.executeCommand('mlwb.renameRun', target, 'renamed-by-test');
      await waitFor(() => fired.length > 0, 'the Runs view told of the change');
      assert.equal(target.run.name, 'renamed-by-test');
      const after = await shown();
      assert.equal(after[0], before[0], 'unchanged runs keep their node object');
      assert.equal(after[1], target, 'the renamed run is the same node, updated in place');
      assert.ok(fired.length > 0 && fired.every((e) => Array.isArray(e) && e.length === 1 && e[0] === target), `fired ${JSON.stringify(fired.map((e) => (Array.isArray(e) ? e.length : e)))}`);
    } finally {
      sub.dispose();
    }
    await vscode.commands.executeCommand('mlwb.editRunNotes', target.run.id, 'looks promising');
    await vscode.commands.executeCommand('mlwb.editRunTags', target.run.id, ['keep', 'sweep-1', 'keep']);
    const s = await wb.store.get();
    const detail = s.getRun(target.run.id)!;
    assert.deepEqual([detail.name, detail.notes, detail.tags], ['renamed-by-test', 'looks promising', ['keep', 'sweep-1']]);
    await vscode.commands.executeCommand('mlwb.filterRuns', { tag: 'keep' });
    assert.deepEqual(await names(), ['renamed-by-test']);
    assert.equal(wb.views.runs.view.description, '#keep');
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
  });

  it('reveals a run directory in the Explorer', async () => {
    const [node] = await shown();
    const uri = (await vscode.commands.executeCommand('mlwb.revealRun', node)) as vscode.Uri;
    assert.equal(uri.fsPath, join(workspaceDir(), STORE, 'runs', node.run.id));
  });

  it('deletes runs (a multi-selection too) after confirmation, and they leave the views', async () => {
    writeRun('20200101-000001-a', 'other/exp', 1_577_836_801, 'completed');
    writeRun('20200101-000002-b', 'other/exp', 1_577_836_802, 'completed');
    await vscode.commands.executeCommand('mlwb.refresh');
    await waitFor(async () => (await shown()).length === 6, 'the two new runs');
    const nodes = await shown();
    const [a, b] = ['20200101-000001-a', '20200101-000002-b'].map((id) => nodes.find((n) => n.run.id === id)!);
    const deleted = await vscode.commands.executeCommand('mlwb.deleteRun', a, [a, b], { confirm: false });
    assert.equal(deleted, true);
    assert.deepEqual((await names()).filter((n) => n === a.run.id || n === b.run.id), []);
    assert.equal((await shown()).length, 4);
  });

  it('pages 200 runs at a time with "Load more…", in both views', async () => {
    for (let i = 0; i < 450; i++) writeRun(`20190101-${String(i).padStart(6, '0')}-p`, 'paged', 1_546_300_800 + i, 'completed');
    await vscode.commands.executeCommand('mlwb.refresh');
    const more = async () => (await runsTree().getChildren()).find((n): n is MoreNode => n.kind === 'more');
    await waitFor(async () => (await more())?.total === 454, 'the paged runs');
    assert.equal((await shown()).length, 200);
    assert.equal(runsTree().getTreeItem((await more())!).description, '200 of 454');
    await vscode.commands.executeCommand('mlwb.loadMoreRuns', await more());
    assert.equal((await shown()).length, 400);
    await vscode.commands.executeCommand('mlwb.loadMoreRuns', await more());
    assert.equal((await shown()).length, 454);
    assert.equal(await more(), undefined);

    const expTree = wb.views.experiments.tree;
    const paged = (await expTree.getChildren()).find((n): n is ExperimentNode => n.kind === 'experiment' && n.experiment.id === 'paged')!;
    assert.equal(expTree.getTreeItem(paged).description, '450 runs');
    const children = await expTree.getChildren(paged);
    assert.equal(children.length, 201);
    await vscode.commands.executeCommand('mlwb.loadMoreRuns', children[200]);
    assert.equal((await expTree.getChildren(paged)).length, 401);
    await vscode.commands.executeCommand('mlwb.deleteExperiment', 'paged', { confirm: false });
    await waitFor(async () => (await shown()).length === 4, 'the paged runs gone with their experiment');
  });

  it('creates, renames, describes, completes, archives, shows archived, reactivates and deletes experiments', async () => {
    const tree = wb.views.experiments.tree;
    const find = async (id: string) => (await tree.getChildren()).find((n): n is ExperimentNode => n.kind === 'experiment' && n.experiment.id === id);
    const id = await vscode.commands.executeCommand('mlwb.newExperiment', 'team/vision/baseline', 'first try');
    assert.equal(id, 'team/vision/baseline');
    let node = await waitFor(() => find('team/vision/baseline'), 'the new experiment');
    assert.deepEqual([label(tree.getTreeItem(node)), tree.getTreeItem(node).description, tree.getTreeItem(node).contextValue], ['baseline', '0 runs', 'experiment.active']);

    await vscode.commands.executeCommand('mlwb.renameExperiment', node, 'Baseline v2');
    await vscode.commands.executeCommand('mlwb.editExperimentDescription', 'team/vision/baseline', 'second try');
    node = (await find('team/vision/baseline'))!;
    assert.deepEqual([node.experiment.name, node.experiment.description], ['Baseline v2', 'second try']);

    await vscode.commands.executeCommand('mlwb.completeExperiment', node);
    assert.equal(tree.getTreeItem((await find('team/vision/baseline'))!).contextValue, 'experiment.completed');
    await vscode.commands.executeCommand('mlwb.archiveExperiment', 'team/vision/baseline');
    assert.equal(await find('team/vision/baseline'), undefined, 'archived experiments are hidden');
    await vscode.commands.executeCommand('mlwb.showArchivedExperiments');
    assert.equal(wb.views.experiments.view.description, 'with archived');
    assert.equal(tree.getTreeItem((await find('team/vision/baseline'))!).contextValue, 'experiment.archived');
    await vscode.commands.executeCommand('mlwb.reactivateExperiment', 'team/vision/baseline');
    await vscode.commands.executeCommand('mlwb.hideArchivedExperiments');
    assert.equal(tree.getTreeItem((await find('team/vision/baseline'))!).contextValue, 'experiment.active');

    // Deleting an experiment takes its runs along.
    assert.ok(await find('other/exp'));
    assert.equal(await vscode.commands.executeCommand('mlwb.deleteExperiment', 'other/exp', { confirm: false }), true);
    assert.equal(await find('other/exp'), undefined);
    assert.deepEqual((await shown()).map((n) => n.run.experiment), ['iris/random-forest', 'iris/random-forest', 'iris/random-forest']);
    await vscode.commands.executeCommand('mlwb.deleteExperiment', 'team/vision/baseline', { confirm: false });
  });

  it('expands an experiment to its runs', async () => {
    const tree = wb.views.experiments.tree;
    const iris = (await tree.getChildren()).find((n): n is ExperimentNode => n.kind === 'experiment' && n.experiment.id === 'iris/random-forest')!;
    assert.equal(tree.getTreeItem(iris).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.equal(tree.getTreeItem(iris).description, '3 runs');
    const runs = (await tree.getChildren(iris)) as RunNode[];
    assert.deepEqual(runs.map((r) => r.run.name), await names());
  });
});
