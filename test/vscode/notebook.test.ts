import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LaunchedRun } from '../../src/runner/run-manager';
import { api, waitFor, workspaceDir } from './helpers';

/** A notebook as Jupyter writes it: a markdown cell, a cell tagged `parameters`, then the work. */
function writeNotebook(name: string, cells: string[]): string {
  const code = (source: string, tags?: string[]) => ({ cell_type: 'code', execution_count: null, metadata: tags ? { tags } : {}, outputs: [], source });
  const nb = {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    cells: [{ cell_type: 'markdown', metadata: {}, source: '# Analysis' }, ...cells.map((c, i) => code(c, i === 0 ? ['parameters'] : undefined))],
  };
  const file = join(workspaceDir(), name);
  writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

async function openNotebook(file: string, viewColumn?: vscode.ViewColumn): Promise<vscode.NotebookEditor> {
  const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
  const editor = await vscode.window.showNotebookDocument(doc, { viewColumn });
  await waitFor(() => vscode.window.activeNotebookEditor?.notebook.uri.fsPath === file || undefined, `${file} in the notebook editor`);
  return editor;
}

async function storeRun(runId: string) {
  const wb = await api();
  await wb.store.refresh();
  return (await wb.store.get()).getRun(runId);
}

describe('notebooks: run an open .ipynb as a run (real kernel), open and compare its executed notebook', () => {
  let runId = '';
  let notebookFile = '';

  it('Run Current Training File on the open notebook: its arguments become parameters, the run completes with the executed notebook', async () => {
    notebookFile = writeNotebook('analysis.ipynb', ['alpha = 0.1\nlabel = "default"', 'print("alpha is", alpha, label)', 'result = alpha * 10\nresult']);
    // A Python file open in another group: the active notebook is what runs, not the last text editor.
    const other = join(workspaceDir(), 'other_script.py');
    writeFileSync(other, 'print("not this one")\n');
    await vscode.window.showTextDocument(vscode.Uri.file(other), { viewColumn: vscode.ViewColumn.One });
    await openNotebook(notebookFile, vscode.ViewColumn.Two);
    const run = await vscode.commands.executeCommand<LaunchedRun | undefined>('mlwb.runCurrentFile', { args: ['--alpha', '0.5', 'label=tuned'] });
    assert.ok(run, 'the notebook was launched');
    assert.equal(run.terminal.name, 'mlwb: analysis.ipynb');
    const cells: string[] = [];
    run.session.on('progress', (p) => { if (p.message) cells.push(p.message); });
    runId = await run.started;
    const outcome = await run.finished;
    assert.equal(outcome.status, 'completed', outcome.error);
    const detail = await storeRun(runId);
    assert.equal(detail?.status, 'completed');
    assert.equal(detail?.script?.path, notebookFile);
    assert.equal(detail?.experiment, 'analysis');
    assert.deepEqual(detail?.argv.slice(1), ['--param', 'alpha=0.5', '--param', 'label=tuned']);
    assert.deepEqual(detail?.params, { alpha: 0.5, label: 'tuned' });
    assert.ok(detail?.logs.some((l) => l.stream === 'stdout' && l.msg.includes('alpha is 0.5 tuned')), 'the cell output is in the log');
    assert.ok(detail?.files.some((f) => f.path === 'notebook/executed.ipynb'), `executed notebook saved: ${detail?.files.map((f) => f.path)}`);
    assert.ok(cells.length > 0 && cells.every((c) => /^cell [1-3] of 3: /.test(c)), `progress counts the notebook's own 3 cells: ${cells}`);
  });

  it('opens the executed notebook in the notebook editor, with its outputs', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('mlwb.openExecutedNotebook', runId);
    assert.ok(uri, 'opened');
    const editor = await waitFor(() => (vscode.window.activeNotebookEditor?.notebook.uri.fsPath === uri.fsPath ? vscode.window.activeNotebookEditor : undefined), 'the executed notebook in the notebook editor');
    assert.equal(editor.notebook.notebookType, 'jupyter-notebook');
    const texts = editor.notebook.getCells().flatMap((c) => c.outputs.flatMap((o) => o.items.map((i) => new TextDecoder().decode(i.data))));
    assert.ok(texts.some((t) => t.includes('alpha is 0.5 tuned')), `the printed output is in the executed notebook: ${JSON.stringify(texts)}`);
    assert.ok(texts.includes('5.0'), 'the last cell’s result');
    assert.ok(editor.notebook.getCells().some((c) => c.document.getText().startsWith('# Parameters (injected by mlwb)')), 'the injected cell');
  });

  it('compares the executed notebook with its source in the notebook diff editor', async () => {
    const opened = await vscode.commands.executeCommand<{ source: vscode.Uri; executed: vscode.Uri } | undefined>('mlwb.compareNotebookWithSource', runId);
    assert.ok(opened, 'compared');
    const input = await waitFor(() => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return tab instanceof vscode.TabInputNotebookDiff ? tab : undefined;
    }, 'a notebook diff tab', 60_000, () => String(vscode.window.tabGroups.activeTabGroup.activeTab?.label));
    assert.equal(input.original.fsPath, notebookFile);
    assert.equal(input.modified.fsPath, opened.executed.fsPath);
    assert.equal(input.notebookType, 'jupyter-notebook');
  });

  it('Runs of This File on the open notebook lists its run, marked as a notebook run', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await openNotebook(notebookFile);
    const filter = await vscode.commands.executeCommand<{ script?: string }>('mlwb.showRunsOfFile');
    assert.equal(filter?.script, notebookFile);
    const wb = await api();
    const shown = await waitFor(async () => {
      const nodes = await wb.views.runs.shownRuns();
      return nodes.some((n) => n.kind === 'run' && n.run.id === runId) ? nodes : undefined;
    }, 'the notebook run in the filtered Runs view');
    const node = shown.find((n) => n.kind === 'run' && n.run.id === runId)!;
    assert.equal(wb.views.runs.tree.getTreeItem(node).contextValue, 'run.completed.notebook');
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
  });

  it('a cell that raises fails the run naming the notebook’s cell, and the executed notebook keeps the error', async () => {
    const file = writeNotebook('broken.ipynb', ['x = 1', 'y = 2\nz = y / (x - 1)']);
    await openNotebook(file);
    const run = await vscode.commands.executeCommand<LaunchedRun | undefined>('mlwb.runCurrentFile', { args: ['x=1'] });
    assert.ok(run);
    const id = await run.started;
    const outcome = await run.finished;
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /ZeroDivisionError.*cell 2 of 2, line 2: z = y \/ \(x - 1\)/);
    assert.ok((await storeRun(id))?.files.some((f) => f.path === 'notebook/executed.ipynb'));
  });
});
