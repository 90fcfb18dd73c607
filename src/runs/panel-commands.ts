import * as vscode from 'vscode';
import { ClickKind } from '../platform/click-kind';
import { registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import type { RunSummary } from '../store';
import { RunComparisons, COMPARE_VIEW_TYPE } from './compare/compare-panel';
import { DASHBOARD_VIEW_TYPE, RunDashboards } from './dashboard/dashboard-panel';
import { runIdOf, runIdsOf } from './run-nodes';

/** The run dashboard and comparison panels, their commands and their serializers (restored after a reload). */
export function registerRunPanels(extensionUri: vscode.Uri, store: WorkspaceStore, selection: () => readonly unknown[]): { panels: RunPanels; disposables: vscode.Disposable[] } {
  const dashboards = new RunDashboards(extensionUri, store);
  const comparisons = new RunComparisons(extensionUri, store, (id) => dashboards.open(id));
  const panels = { dashboards, comparisons };
  const clicks = new ClickKind();

  const compare = async (target?: unknown, many?: unknown) => {
    const query = (target as { query?: unknown } | undefined)?.query;
    if (typeof query === 'string') {
      // The runs a query matches (the Runs view's language), newest first, at most COMPARE_QUERY_MAX of them.
      const ids = (await store.get()).listRuns({ query, limit: COMPARE_QUERY_MAX }).runs.map((r) => r.id);
      if (ids.length < 2) throw new Error(`Comparing needs at least two runs; the query matches ${ids.length}.`);
      return comparisons.open(ids);
    }
    let ids = Array.isArray(target) ? target.map(runIdOf).filter((id): id is string => id !== undefined) : runIdsOf(target, many);
    if (ids.length < 2 && target === undefined) ids = runIdsOf(undefined, selection());
    if (ids.length < 2) ids = await pickRuns(store, ids);
    if (ids.length < 2) return undefined;
    return comparisons.open(ids);
  };

  return {
    panels,
    disposables: [
      dashboards,
      comparisons,
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => dashboards.revive(panel, state) }),
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => comparisons.revive(panel, state) }),
      registerCommand('mlwb.openRun', async (target?: unknown) => {
        const id = runIdOf(target) ?? runSummaryId(target) ?? (await pickRun(store));
        if (!id) return undefined;
        if (!(await store.get()).getRun(id, { logLimit: 0 })) throw new Error(`No run "${id}".`);
        return dashboards.open(id);
      }),
      // A run item's own command (a click in the Runs or Experiments view): preview on a single click, keep on a double one.
      registerCommand('mlwb.previewRun', async (target?: unknown, how?: unknown) => {
        const id = runIdOf(target);
        if (!id) throw new Error('Preview Run needs a run.');
        const keep = how === 'keep' || clicks.click(id) === 'double';
        return keep ? dashboards.open(id) : dashboards.preview(id);
      }),
      registerCommand('mlwb.compareRuns', compare),
      registerCommand('mlwb.compareSelectedRuns', compare),
    ],
  };
}

export interface RunPanels {
  dashboards: RunDashboards;
  comparisons: RunComparisons;
}

function runSummaryId(x: unknown): string | undefined {
  const run = (x as { run?: RunSummary } | undefined)?.run ?? (x as RunSummary | undefined);
  return typeof run?.id === 'string' && typeof run.status === 'string' ? run.id : undefined;
}

const RECENT = 200;
const COMPARE_QUERY_MAX = 50;

function runItem(r: RunSummary, picked = false): vscode.QuickPickItem & { id: string } {
  return { label: r.name, description: `${r.status} · ${r.experimentName}`, detail: new Date(r.created * 1000).toLocaleString(), id: r.id, picked };
}

async function pickRun(store: WorkspaceStore): Promise<string | undefined> {
  const runs = (await store.get()).listRuns({ limit: RECENT }).runs;
  if (runs.length === 0) throw new Error('There are no runs yet.');
  return (await vscode.window.showQuickPick(runs.map((r) => runItem(r)), { title: 'Open Run', placeHolder: 'Which run?', matchOnDescription: true }))?.id;
}

async function pickRuns(store: WorkspaceStore, preselected: readonly string[]): Promise<string[]> {
  const runs = (await store.get()).listRuns({ limit: RECENT }).runs;
  if (runs.length < 2) throw new Error('Comparing needs at least two runs.');
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => runItem(r, preselected.includes(r.id))),
    { title: 'Compare Runs', placeHolder: 'Pick two or more runs', canPickMany: true, matchOnDescription: true },
  );
  return picked?.map((p) => p.id) ?? [];
}
