import * as vscode from 'vscode';
import { registerCommand } from '../../platform/commands';
import type { WorkspaceStore } from '../../platform/workspace-store';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runIdOf, runIdsOf } from '../run-nodes';
import { blobPath, codeChanges, readCodeManifest, readDataInputs, workingCopyChanges } from './code-snapshot';
import { runDiffText } from './run-diff-text';

/** Documents of Diff Runs: `mlwb-run-diff:/<left id>/<right id>/<left|right>/<run name>.md`, generated from the store. */
export const RUN_DIFF_SCHEME = 'mlwb-run-diff';
const RECENT = 200;

export function runDiffUri(left: string, right: string, side: 'left' | 'right', name: string): vscode.Uri {
  const safe = name.replace(/[\\/:*?"<>|]/g, '_');
  return vscode.Uri.from({ scheme: RUN_DIFF_SCHEME, path: `/${encodeURIComponent(left)}/${encodeURIComponent(right)}/${side}/${safe}.md` });
}

/** An empty side, for a code file only one run has. */
const EMPTY_PREFIX = '/empty/';
/** A snapshot's file: `/code/<sha256>/<its path>` (the path gives the editor its language). */
const CODE_PREFIX = '/code/';

function parseUri(uri: vscode.Uri): { left: string; right: string; side: 'left' | 'right' } {
  const [left, right, side] = uri.path.split('/').slice(1).map(decodeURIComponent);
  if (!left || !right || (side !== 'left' && side !== 'right')) throw new Error(`not a Diff Runs document: ${uri.toString()}`);
  return { left, right, side };
}

/** A snapshot file's content (or an empty side for a file the run does not have). */
function codeUri(p: string, sha: string | undefined): vscode.Uri {
  return vscode.Uri.from({ scheme: RUN_DIFF_SCHEME, path: sha ? `${CODE_PREFIX}${sha}/${p}` : `${EMPTY_PREFIX}${p}` });
}

/** The two runs' summaries, re-generated when either run changes in the store. */
class RunDiffDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: WorkspaceStore) {
    this.subscription = store.onDidChange((result) => {
      for (const doc of vscode.workspace.textDocuments) {
        if (doc.uri.scheme !== RUN_DIFF_SCHEME || doc.uri.path.startsWith(EMPTY_PREFIX) || doc.uri.path.startsWith(CODE_PREFIX)) continue;
        const { left, right } = parseUri(doc.uri);
        if (result.rebuilt !== undefined || result.runs.includes(left) || result.runs.includes(right)) this.changed.fire(doc.uri);
      }
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    if (uri.path.startsWith(EMPTY_PREFIX)) return '';
    const s = await this.store.get();
    if (uri.path.startsWith(CODE_PREFIX)) return fs.promises.readFile(blobPath(s.layout.root, uri.path.slice(CODE_PREFIX.length).split('/')[0]), 'utf8');
    const { left, right, side } = parseUri(uri);
    const a = s.getRun(left, { logLimit: 0 });
    const b = s.getRun(right, { logLimit: 0 });
    if (!a || !b) return `Run ${!a ? left : right} is not in the store any more.\n`;
    const codeA = readCodeManifest(s.layout.root, a.id);
    const codeB = readCodeManifest(s.layout.root, b.id);
    const inA = readDataInputs(s.layout.root, a.id);
    const inB = readDataInputs(s.layout.root, b.id);
    return side === 'left'
      ? runDiffText(a, b, 'left', { mine: codeA, theirs: codeB }, { mine: inA, theirs: inB })
      : runDiffText(b, a, 'right', { mine: codeB, theirs: codeA }, { mine: inB, theirs: inA });
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
      const code = await openCodeChanges(s.layout.root, a, b);
      return { left, right, code };
    }),
    registerCommand('mlwb.diffRunWithWorkingCopy', async (target?: unknown) => {
      const id = runIdOf(target) ?? runIdsOf(undefined, selection())[0];
      if (!id) throw new Error('Pick a run in the Runs view first.');
      const s = await store.get();
      const run = s.getRun(id, { logLimit: 0 });
      if (!run) throw new Error(`No run "${id}".`);
      const manifest = readCodeManifest(s.layout.root, id);
      if (!manifest) throw new Error(`Run ${run.name} kept no code snapshot (runs started with python -m mlwb run keep one).`);
      const root = manifest.root || path.dirname(s.layout.root);
      const changes = workingCopyChanges(manifest, root);
      if (changes.length === 0) {
        void vscode.window.showInformationMessage(`The code of run ${run.name} matches the working copy (${manifest.files.length} files).`);
        return [];
      }
      const resources = changes.map((c) => {
        const file = vscode.Uri.file(path.join(root, c.path));
        return [file, codeUri(c.path, c.left), c.exists ? file : codeUri(c.path, undefined)];
      });
      await vscode.commands.executeCommand('vscode.changes', `Code: ${run.name} ↔ working copy`, resources);
      return changes.map((c) => c.path);
    }),
  ];
}

/**
 * When both runs kept a code snapshot and some file differs: VS Code's multi-file diff editor, one diff per file
 * (the snapshot's blobs on disk; an empty side for a file only one run has). Returns the paths that differ.
 */
async function openCodeChanges(storeRoot: string, a: { id: string; name: string }, b: { id: string; name: string }): Promise<string[] | undefined> {
  const left = readCodeManifest(storeRoot, a.id);
  const right = readCodeManifest(storeRoot, b.id);
  if (!left || !right) return undefined;
  const changes = codeChanges(left, right);
  if (changes.length === 0) return [];
  const root = right.root || left.root || storeRoot;
  const resources = changes.map((c) => [vscode.Uri.file(path.join(root, c.path)), codeUri(c.path, c.left), codeUri(c.path, c.right)]);
  await vscode.commands.executeCommand('vscode.changes', `Code: ${a.name} ↔ ${b.name}`, resources);
  return changes.map((c) => c.path);
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
