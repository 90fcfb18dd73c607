import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';
import type { RunNode } from '../../src/runs/run-nodes';
import { RunWriter } from '../unit/store/helpers';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { api, extension, waitFor, workspaceDir } from './helpers';

// Diff Runs on two runs of the real store: VS Code's own diff editor on the two structured summaries.

const stamp = Date.now().toString(36);
const ids = ['a', 'b', 'c'].map((x) => `diff-${stamp}-${x}`);

/** A code snapshot as the runner writes it (python-runner/mlwb/_code_snapshot.py): blobs by content, code.json. */
function snapshot(root: string, runId: string, files: Record<string, string>, workspace = workspaceDir()): void {
  const listed = Object.entries(files).map(([path, text]) => {
    const sha256 = createHash('sha256').update(text).digest('hex');
    mkdirSync(join(root, 'code', sha256.slice(0, 2)), { recursive: true });
    writeFileSync(join(root, 'code', sha256.slice(0, 2), sha256), text);
    return { path, sha256, size: Buffer.byteLength(text) };
  });
  writeFileSync(join(root, 'runs', runId, 'code.json'), JSON.stringify({ v: 1, root: workspace, files: listed }));
}

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
    snapshot(root, ids[0], { 'train.py': 'lr = 0.1\nfit()\n', 'lib/features.py': 'def f(x):\n    return x\n' });
    snapshot(root, ids[1], { 'train.py': 'lr = 0.2\nfit()\n', 'lib/features.py': 'def f(x):\n    return x\n', 'lib/extra.py': 'X = 1\n' });
    await wb.store.refresh();
    await vscode.commands.executeCommand('mlwb.filterRuns', { query: `run_id LIKE 'diff-${stamp}-%'` });
    await waitFor(async () => ((await nodes()).length === 3 ? true : undefined), 'the three runs listed');
  });

  after(async () => {
    a.finish();
    rmSync(join(workspaceDir(), `diff-ws-${stamp}`), { recursive: true, force: true });
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens the diff editor on the two summaries: params that differ, metric deltas; it follows the store', async () => {
    const [na, nb] = [ids[0], ids[1]].map(async (id) => (await nodes()).find((n) => n.run.id === id)!);
    const first = await na;
    // As from the context menu of a multi-selection: the clicked node, then the selection.
    const opened = (await vscode.commands.executeCommand('mlwb.diffRuns', first, [first, await nb])) as { left: vscode.Uri; right: vscode.Uri; code?: string[] };
    assert.ok(opened, 'Diff Runs returns the two documents');
    // Both runs kept a code snapshot: the files that differ open in the multi-file diff editor too.
    assert.deepEqual(opened.code, ['lib/extra.py', 'train.py']);
    const codeTab = await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.startsWith('Code: ')), 'the code changes editor');
    assert.equal(codeTab.label, `Code: diff-a-${stamp} ↔ diff-b-${stamp} (2 files)`);
    const blob = (sha: string, p: string) => vscode.Uri.from({ scheme: 'mlwb-run-diff', path: `/code/${sha}/${p}` });
    const shaOf = (text: string) => createHash('sha256').update(text).digest('hex');
    const oldTrain = await vscode.workspace.openTextDocument(blob(shaOf('lr = 0.1\nfit()\n'), 'train.py'));
    assert.equal(oldTrain.getText(), 'lr = 0.1\nfit()\n');
    assert.equal(oldTrain.languageId, 'python');
    const tab = await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.label.includes('↔') && !t.label.startsWith('Code')), 'a diff editor');
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
    assert.deepEqual(section(right.getText(), 'Code snapshot')?.map((l) => l.split(':')[0]), ['lib/extra.py', 'lib/features.py', 'train.py']);
    assert.equal(section(left.getText(), 'Code snapshot')?.[0], 'lib/extra.py: —');

    // A point logged by the still running left run reaches the open diff.
    a.metric('eval/acc', [0.99], { firstStep: 2 });
    await waitFor(() => (/eval\/acc: last 0\.99/.test(left.getText()) ? true : undefined), 'the left side updated', 30_000, () => section(left.getText(), 'Metrics'));
    await waitFor(() => (/last 0\.95 \(−0\.04\)/.test(right.getText()) ? true : undefined), 'the right side delta updated', 30_000, () => section(right.getText(), 'Metrics'));
  });

  it("diffs a run's code snapshot with the working copy: the files changed or gone since", async () => {
    const ws = join(workspaceDir(), `diff-ws-${stamp}`);
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, 'train.py'), 'lr = 0.3\n');
    writeFileSync(join(ws, 'same.py'), 'A = 1\n');
    snapshot(join(workspaceDir(), '.mlwb'), ids[2], { 'train.py': 'lr = 0.1\n', 'same.py': 'A = 1\n', 'gone.py': 'B = 2\n' }, ws);
    const changed = await vscode.commands.executeCommand('mlwb.diffRunWithWorkingCopy', ids[2]);
    assert.deepEqual(changed, ['gone.py', 'train.py']);
    await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.startsWith(`Code: diff-c-${stamp} ↔ working copy`)), 'the working copy diff');
    // A run without a snapshot says so (and opens nothing).
    assert.equal(await vscode.commands.executeCommand('mlwb.diffRunWithWorkingCopy', { kind: 'run', run: { id: 'no-such-run' } }), undefined);
  });

  it('records the CSV a script reads (the real runner) and Diff Runs shows each run read other bytes', async () => {
    const ws = join(workspaceDir(), `diff-ws-${stamp}`);
    mkdirSync(join(ws, 'data'), { recursive: true });
    writeFileSync(join(ws, 'reader.py'), "import csv\nprint(len(list(csv.reader(open('data/iris.csv')))))\n");
    const runOnce = async (csv: string) => {
      writeFileSync(join(ws, 'data', 'iris.csv'), csv);
      await promisify(execFile)(process.env.MLWB_PYTHON ?? '/usr/bin/python3', ['-m', 'mlwb', 'run', '--experiment', `inputs-${stamp}`, 'reader.py'], {
        cwd: ws,
        env: { ...process.env, PYTHONPATH: join(extension().extensionPath, 'python-runner'), MLWB_STORE: join(workspaceDir(), '.mlwb'), MLWB_RPC_PIPE: '' },
      });
    };
    await runOnce('a,b\n1,2\n');
    await runOnce('a,b\n1,2\n3,4\n');
    await wb.store.refresh();
    const runs = (await wb.store.get()).listRuns({ query: `experiment_id = 'inputs-${stamp}'`, sort: { by: 'created', dir: 'asc' } }).runs;
    assert.equal(runs.length, 2);
    const opened = (await vscode.commands.executeCommand('mlwb.diffRuns', runs.map((r) => r.id))) as { left: vscode.Uri; right: vscode.Uri };
    const text = async (uri: vscode.Uri) => (await vscode.workspace.openTextDocument(uri)).getText();
    const inputs = (t: string) => t.split('## Data inputs (the workspace data files the run read)\n')[1]?.trim().split('\n');
    const sha = (csv: string) => createHash('sha256').update(csv).digest('hex').slice(0, 12);
    assert.deepEqual(inputs(await text(opened.left)), [`diff-ws-${stamp}/data/iris.csv: sha256 ${sha('a,b\n1,2\n')} · 8 bytes`]);
    assert.deepEqual(inputs(await text(opened.right)), [`diff-ws-${stamp}/data/iris.csv: sha256 ${sha('a,b\n1,2\n3,4\n')} · 12 bytes`]);
  });

  it('says so for more than two runs, and the menu entry needs a multi-selection', async () => {
    const all = await nodes();
    assert.equal(await vscode.commands.executeCommand('mlwb.diffRuns', all[0], all), undefined);
    const pkg = (vscode.extensions.getExtension('mlwb.mlops-workbench')!.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } });
    const entry = pkg.contributes.menus['view/item/context'].find((m) => m.command === 'mlwb.diffRuns');
    assert.match(entry?.when ?? '', /listMultiSelection/);
  });
});
