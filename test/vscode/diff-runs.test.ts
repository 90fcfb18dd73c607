import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';
import type { RunNode } from '../../src/runs/run-nodes';
import { RunWriter } from '../unit/store/helpers';
import { api, waitFor, workspaceDir } from './helpers';

// Diff Runs on two runs of the real store: VS Code's own diff editor on the two structured summaries.

const stamp = Date.now().toString(36);
const ids = ['a', 'b', 'c'].map((x) => `diff-${stamp}-${x}`);

describe('diff runs: two selected runs in VS Code diff editor', function () {
  let wb: WorkbenchApi;
  let a: RunWriter;
  const nodes = async () => (await wb.views.runs.tree.getChildren()).filter((n): n is RunNode => n.kind === 'run');

  before(async () => {
    wb = await api();
    const root = join(workspaceDir(), '.mlwb');
    a = new RunWriter(root, { id: ids[0], name: `diff-a-${stamp}`, experiment: 'diff/vscode' }).params({ lr: 0.1, seed: 1 }).metric('eval/acc', [0.5, 0.9]);
    new RunWriter(root, { id: ids[1], name: `diff-b-${stamp}`, experiment: 'diff/vscode' }).params({ lr: 0.2, seed: 1 }).metric('eval/acc', [0.6, 0.95]).finish();
    new RunWriter(root, { id: ids[2], name: `diff-c-${stamp}`, experiment: 'diff/vscode' }).finish();
    await wb.store.refresh();
    await vscode.commands.executeCommand('mlwb.filterRuns', { query: `run_id LIKE 'diff-${stamp}-%'` });
    await waitFor(async () => ((await nodes()).length === 3 ? true : undefined), 'the three runs listed');
  });

  after(async () => {
    a.finish();
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens the diff editor on the two summaries: params that differ, metric deltas; it follows the store', async () => {
    const [na, nb] = [ids[0], ids[1]].map(async (id) => (await nodes()).find((n) => n.run.id === id)!);
    const first = await na;
    // As from the context menu of a multi-selection: the clicked node, then the selection.
    const opened = (await vscode.commands.executeCommand('mlwb.diffRuns', first, [first, await nb])) as { left: vscode.Uri; right: vscode.Uri };
    assert.ok(opened, 'Diff Runs returns the two documents');
    const tab = await waitFor(() => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputTextDiff ? t : undefined;
    }, 'a diff editor');
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.original.toString(), opened.left.toString());
    assert.equal(input.modified.toString(), opened.right.toString());
    assert.equal(input.original.scheme, 'mlwb-run-diff');
    assert.equal(tab.label, `diff-a-${stamp} ↔ diff-b-${stamp}`);
    const left = await vscode.workspace.openTextDocument(input.original);
    const right = await vscode.workspace.openTextDocument(input.modified);
    const section = (text: string, title: string) => text.split('\n## ').find((s) => s.startsWith(title))?.split('\n').slice(1).filter(Boolean);
    assert.deepEqual(section(left.getText(), 'Params that differ'), ['lr = 0.1']);
    assert.deepEqual(section(right.getText(), 'Params that differ'), ['lr = 0.2']);
    assert.deepEqual(section(right.getText(), 'Params the same'), ['seed = 1']);
    assert.deepEqual(section(left.getText(), 'Metrics'), ['eval/acc: last 0.9 · best 0.9 (max) · 2 points']);
    assert.deepEqual(section(right.getText(), 'Metrics'), ['eval/acc: last 0.95 (+0.05) · best 0.95 (max) (+0.05) · 2 points']);
    assert.equal(left.lineCount, right.lineCount, 'the same lines on both sides');

    // A point logged by the still running left run reaches the open diff.
    a.metric('eval/acc', [0.99], { firstStep: 2 });
    await waitFor(() => (/eval\/acc: last 0\.99/.test(left.getText()) ? true : undefined), 'the left side updated', 30_000, () => section(left.getText(), 'Metrics'));
    await waitFor(() => (/last 0\.95 \(−0\.04\)/.test(right.getText()) ? true : undefined), 'the right side delta updated', 30_000, () => section(right.getText(), 'Metrics'));
  });

  it('says so for more than two runs, and the menu entry needs a multi-selection', async () => {
    const all = await nodes();
    assert.equal(await vscode.commands.executeCommand('mlwb.diffRuns', all[0], all), undefined);
    const pkg = (vscode.extensions.getExtension('mlwb.mlops-workbench')!.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } });
    const entry = pkg.contributes.menus['view/item/context'].find((m) => m.command === 'mlwb.diffRuns');
    assert.match(entry?.when ?? '', /listMultiSelection/);
  });
});
