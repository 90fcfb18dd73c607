import * as path from 'node:path';
import * as vscode from 'vscode';
import { confirmed, registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import type { RunSummary } from '../store';
import { runIdsOf } from './run-nodes';
import { parseTags } from './run-text';

/**
 * Commands on runs, from either tree's context menu. Each takes its target as a run node or a run id
 * (a menu on a multi-selection also passes the selection), then the value when the caller has it;
 * otherwise it asks with an input box. Without a target, the views' selection is used.
 */
export function registerRunCommands(store: WorkspaceStore, selection: () => readonly unknown[]): vscode.Disposable[] {
  const targets = async (target: unknown, many?: unknown): Promise<RunSummary[]> => {
    let ids = runIdsOf(target, many);
    if (ids.length === 0) ids = runIdsOf(undefined, selection());
    if (ids.length === 0) throw new Error('Select a run first.');
    const s = await store.get();
    const runs = ids.map((id) => s.getRun(id, { logLimit: 0 }));
    const missing = ids.filter((_, i) => !runs[i]);
    if (missing.length) throw new Error(`No run "${missing[0]}".`);
    return runs as RunSummary[];
  };
  const first = async (target: unknown) => (await targets(target))[0];
  const edit = (run: string, fn: Parameters<WorkspaceStore['edit']>[0]) => store.edit(fn, { runs: [run] });

  return [
    registerCommand('mlwb.renameRun', async (target?: unknown, name?: unknown) => {
      const run = await first(target);
      const value = typeof name === 'string' ? name : await vscode.window.showInputBox({
        title: `Rename Run ${run.id}`,
        value: run.name,
        validateInput: (v) => (v.trim() === '' ? 'A name cannot be empty.' : undefined),
      });
      if (value !== undefined) await edit(run.id, (s) => s.renameRun(run.id, value));
    }),
    registerCommand('mlwb.editRunNotes', async (target?: unknown, notes?: unknown) => {
      const run = await first(target);
      const value = typeof notes === 'string' ? notes : await vscode.window.showInputBox({ title: `Notes on ${run.name}`, value: run.notes ?? '', prompt: 'Empty clears the notes.' });
      if (value !== undefined) await edit(run.id, (s) => s.setRunNotes(run.id, value));
    }),
    registerCommand('mlwb.editRunTags', async (target?: unknown, tags?: unknown) => {
      const run = await first(target);
      let text: string | undefined;
      if (Array.isArray(tags) && tags.every((t) => typeof t === 'string')) text = tags.join(',');
      else if (typeof tags === 'string') text = tags;
      else {
        text = await vscode.window.showInputBox({
          title: `Tags of ${run.name}`,
          value: run.tags.join(', '),
          prompt: 'Comma-separated; empty removes every tag.',
          validateInput: (v) => {
            const parsed = parseTags(v);
            return 'error' in parsed ? parsed.error : undefined;
          },
        });
      }
      if (text === undefined) return;
      const parsed = parseTags(text);
      if ('error' in parsed) throw new Error(parsed.error);
      await edit(run.id, (s) => s.setRunTags(run.id, parsed.tags));
    }),
    registerCommand('mlwb.revealRun', async (target?: unknown) => {
      const run = await first(target);
      const dir = vscode.Uri.file(path.join((await store.get()).layout.root, 'runs', run.id));
      // In the Explorer when the store is inside the workspace; otherwise the OS file manager.
      if (vscode.workspace.getWorkspaceFolder(dir)) await vscode.commands.executeCommand('revealInExplorer', dir);
      else await vscode.commands.executeCommand('revealFileInOS', dir);
      return dir;
    }),
    registerCommand('mlwb.deleteRun', async (target?: unknown, many?: unknown, options?: unknown) => {
      const runs = await targets(target, many);
      const what = runs.length === 1 ? `run "${runs[0].name}"` : `${runs.length} runs`;
      const detail = 'Deleted runs disappear from every view. The deletion is recorded in .mlwb/edits.jsonl; run files stay on disk.';
      if (!(await confirmed(`Delete ${what}?`, detail, 'Delete', options ?? many))) return false;
      await store.edit(async (s) => {
        for (const r of runs) await s.deleteRun(r.id);
      }, { runs: runs.map((r) => r.id) });
      return true;
    }),
  ];
}
