import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Cancelled, registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import { runFilePath, type RunDetail } from '../store';
import { EXECUTED_NOTEBOOK, isNotebookRun } from './notebook-run';
import { runIdOf } from './run-nodes';

/**
 * Open Executed Notebook (in VS Code's notebook editor) and Compare Executed Notebook with Source (the
 * notebook diff editor, the source on the left), on a run given as a node, an id or picked from the notebook
 * runs. Each returns the URIs it opened, for callers and tests.
 */
export function registerNotebookRunCommands(store: WorkspaceStore): vscode.Disposable[] {
  const executed = async (target: unknown, title: string): Promise<{ run: RunDetail; uri: vscode.Uri }> => {
    const id = runIdOf(target) ?? summaryId(target) ?? (await pickNotebookRun(store, title));
    if (!id) throw new Cancelled();
    const s = await store.get();
    const run = s.getRun(id, { logLimit: 0 });
    if (!run) throw new Error(`No run "${id}".`);
    if (!run.files.some((f) => f.path === EXECUTED_NOTEBOOK)) {
      throw new Error(`Run ${run.name} has no executed notebook (${EXECUTED_NOTEBOOK}): ${isNotebookRun(run) ? 'it ended before its kernel started' : 'it did not run a notebook'}.`);
    }
    return { run, uri: vscode.Uri.file(runFilePath(s.layout, run.id, EXECUTED_NOTEBOOK)) };
  };
  return [
    registerCommand('mlwb.openExecutedNotebook', async (target?: unknown) => {
      const { uri } = await executed(target, 'Open Executed Notebook');
      await vscode.commands.executeCommand('vscode.openWith', uri, 'jupyter-notebook');
      return uri;
    }),
    registerCommand('mlwb.compareNotebookWithSource', async (target?: unknown) => {
      const { run, uri } = await executed(target, 'Compare Executed Notebook with Source');
      const source = run.script?.path;
      if (!source || !fs.existsSync(source)) throw new Error(`The source notebook of run ${run.name} is gone${source ? `: ${source}` : ''}.`);
      const left = vscode.Uri.file(source);
      await vscode.commands.executeCommand('vscode.diff', left, uri, `${path.basename(source)} ↔ executed in run ${run.name}`);
      return { source: left, executed: uri };
    }),
  ];
}

function summaryId(x: unknown): string | undefined {
  const run = (x as { run?: { id?: unknown; status?: unknown } } | undefined)?.run ?? (x as { id?: unknown; status?: unknown } | undefined);
  return typeof run?.id === 'string' && typeof run.status === 'string' ? run.id : undefined;
}

async function pickNotebookRun(store: WorkspaceStore, title: string): Promise<string | undefined> {
  const runs = (await store.get()).listRuns({ limit: 500 }).runs.filter(isNotebookRun);
  if (runs.length === 0) throw new Error('No run has executed a notebook yet: run one with Run Current Training File on an open .ipynb.');
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.name, description: `${r.status} · ${r.experimentName}`, detail: new Date(r.created * 1000).toLocaleString(), id: r.id })),
    { title, placeHolder: 'Which notebook run?', matchOnDescription: true },
  );
  return pick?.id;
}
