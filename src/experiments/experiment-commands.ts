import * as vscode from 'vscode';
import { confirmed, registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import type { ExperimentStatus, ExperimentSummary, TrackingStore } from '../store';
import type { ExperimentsView } from './experiments-view';

/**
 * Experiment commands. Each takes its target as a tree node or an experiment id, then the value
 * (name, description) when the caller has it; otherwise it asks with an input box.
 */
export function registerExperimentCommands(store: WorkspaceStore, view: ExperimentsView): vscode.Disposable[] {
  const edit = (id: string, fn: (s: TrackingStore) => Promise<void>) => store.edit(fn, { experiments: [id] });
  const target = async (arg: unknown): Promise<ExperimentSummary> => {
    const id = experimentIdOf(arg) ?? experimentIdOf(view.view.selection[0]);
    if (!id) throw new Error('Select an experiment first.');
    const found = (await store.get()).listExperiments({ includeArchived: true }).find((e) => e.id === id);
    if (!found) throw new Error(`No experiment "${id}".`);
    return found;
  };
  const setStatus = (status: ExperimentStatus) => async (arg: unknown) => {
    const e = await target(arg);
    await edit(e.id, (s) => s.setExperimentStatus(e.id, status));
  };

  return [
    registerCommand('mlwb.newExperiment', async (name?: unknown, description?: unknown) => {
      const s = await store.get();
      const given = typeof name === 'string' ? name : await vscode.window.showInputBox({
        title: 'New Experiment',
        prompt: 'Name, optionally with its owner and project: "alice/mnist/baseline"',
        validateInput: (v) => (v.trim() === '' ? 'An experiment needs a name.' : s.listExperiments({ includeArchived: true }).some((e) => e.id === v.trim()) ? `"${v.trim()}" already exists.` : undefined),
      });
      if (given === undefined) return undefined;
      const text = typeof description === 'string' ? description : typeof name === 'string' ? undefined : await vscode.window.showInputBox({ title: 'New Experiment', prompt: 'Description (optional)' });
      const id = await store.edit((st) => st.createExperiment(given, text || undefined), {});
      return id;
    }),
    registerCommand('mlwb.renameExperiment', async (arg?: unknown, name?: unknown) => {
      const e = await target(arg);
      const value = typeof name === 'string' ? name : await vscode.window.showInputBox({
        title: `Rename Experiment ${e.id}`,
        value: e.name,
        validateInput: (v) => (v.trim() === '' ? 'A name cannot be empty.' : undefined),
      });
      if (value !== undefined) await edit(e.id, (s) => s.renameExperiment(e.id, value));
    }),
    registerCommand('mlwb.editExperimentDescription', async (arg?: unknown, description?: unknown) => {
      const e = await target(arg);
      const value = typeof description === 'string' ? description : await vscode.window.showInputBox({ title: `Description of ${e.id}`, value: e.description ?? '' });
      if (value !== undefined) await edit(e.id, (s) => s.describeExperiment(e.id, value));
    }),
    registerCommand('mlwb.completeExperiment', setStatus('completed')),
    registerCommand('mlwb.archiveExperiment', setStatus('archived')),
    registerCommand('mlwb.reactivateExperiment', setStatus('active')),
    registerCommand('mlwb.deleteExperiment', async (arg?: unknown, options?: unknown) => {
      const e = await target(arg);
      const runs = e.runCount === 0 ? 'It has no runs.' : `Its ${e.runCount} run${e.runCount === 1 ? '' : 's'} go with it.`;
      if (!(await confirmed(`Delete experiment "${e.id}"?`, `${runs} The journals keep a record of the deletion; run files stay on disk.`, 'Delete', options))) return false;
      await edit(e.id, (s) => s.deleteExperiment(e.id));
      return true;
    }),
    registerCommand('mlwb.showArchivedExperiments', () => view.setShowArchived(true)),
    registerCommand('mlwb.hideArchivedExperiments', () => view.setShowArchived(false)),
  ];
}

function experimentIdOf(x: unknown): string | undefined {
  if (typeof x === 'string' && x !== '') return x;
  if (typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'experiment') return (x as { experiment: ExperimentSummary }).experiment.id;
  return undefined;
}
