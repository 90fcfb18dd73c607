import * as vscode from 'vscode';
import { registerCommand } from '../../platform/commands';
import type { WorkspaceStore } from '../../platform/workspace-store';
import { runIdOf, runIdsOf } from '../run-nodes';
import { runDiffText } from './run-diff-text';

/** Documents of Diff Runs: `mlwb-run-diff:/<left id>/<right id>/<left|right>/<run name>.md`, generated from the store. */
export const RUN_DIFF_SCHEME = 'mlwb-run-diff';
const RECENT = 200;

export function runDiffUri(left: string, right: string, side: 'left' | 'right', name: string): vscode.Uri {
  const safe = name.replace(/[\\/:*?"<>|]/g, '_');
  return vscode.Uri.from({ scheme: RUN_DIFF_SCHEME, path: `/${encodeURIComponent(left)}/${encodeURIComponent(right)}/${side}/${safe}.md` });
}

function parseUri(uri: vscode.Uri): { left: string; right: string; side: 'left' | 'right' } {
  const [left, right, side] = uri.path.split('/').slice(1).map(decodeURIComponent);
  if (!left || !right || (side !== 'left' && side !== 'right')) throw new Error(`not a Diff Runs document: ${uri.toString()}`);
  return { left, right, side };
}

/** The two runs' summaries, re-generated when either run changes in the store. */
class RunDiffDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: WorkspaceStore) {
    this.subscription = store.onDidChange((result) => {
      for (const doc of vscode.workspace.textDocuments) {
        if (doc.uri.scheme !== RUN_DIFF_SCHEME) continue;
        const { left, right } = parseUri(doc.uri);
        if (result.rebuilt !== undefined || result.runs.includes(left) || result.runs.includes(right)) this.changed.fire(doc.uri);
      }
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const { left, right, side } = parseUri(uri);
    const s = await this.store.get();
    const a = s.getRun(left, { logLimit: 0 });
    const b = s.getRun(right, { logLimit: 0 });
    if (!a || !b) return `Run ${!a ? left : right} is not in the store any more.\n`;
    return side === 'left' ? runDiffText(a, b, 'left') : runDiffText(b, a, 'right');
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/**
 * Diff Runs: two runs (the multi-selection of a runs view, two ids, or two picked) in VS Code's diff editor, each as
 * a structured summary (params that differ, metric deltas, environment, code and git, data inputs).
 */
export function registerRunDiff(store: WorkspaceStore, selection: () => readonly unknown[]): vscode.Disposable[] {
  const docs = new RunDiffDocuments(store);
  return [
    docs,
    vscode.workspace.registerTextDocumentContentProvider(RUN_DIFF_SCHEME, docs),
    registerCommand('mlwb.diffRuns', async (target?: unknown, many?: unknown) => {
      let ids = Array.isArray(target) ? target.map(runIdOf).filter((id): id is string => id !== undefined) : runIdsOf(target, many);
      if (ids.length === 0) ids = runIdsOf(undefined, selection());
      ids = [...new Set(ids)];
      if (ids.length > 2) throw new Error(`Diff Runs compares two runs; ${ids.length} are selected (Compare Runs takes any number).`);
      if (ids.length < 2) ids = await pickTwo(store, ids);
      if (ids.length !== 2) return undefined;
      const s = await store.get();
      const [a, b] = ids.map((id) => s.getRun(id, { logLimit: 0 }));
      if (!a || !b) throw new Error(`No run "${!a ? ids[0] : ids[1]}".`);
      const left = runDiffUri(a.id, b.id, 'left', a.name);
      const right = runDiffUri(a.id, b.id, 'right', b.name);
      await vscode.commands.executeCommand('vscode.diff', left, right, `${a.name} ↔ ${b.name}`, { preview: false });
      return { left, right };
    }),
  ];
}

async function pickTwo(store: WorkspaceStore, preselected: readonly string[]): Promise<string[]> {
  const runs = (await store.get()).listRuns({ limit: RECENT }).runs;
  if (runs.length < 2) throw new Error('Diff Runs needs two runs.');
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.name, description: `${r.status} · ${r.experimentName}`, detail: new Date(r.created * 1000).toLocaleString(), id: r.id, picked: preselected.includes(r.id) })),
    { title: 'Diff Runs', placeHolder: 'Pick two runs (the first picked is the left side)', canPickMany: true, matchOnDescription: true },
  );
  if (picked && picked.length !== 2) throw new Error(`Diff Runs compares two runs; ${picked.length} were picked.`);
  return picked?.map((p) => p.id) ?? [];
}
