import * as vscode from 'vscode';
import { registerExperimentCommands } from './experiments/experiment-commands';
import { ExperimentsView } from './experiments/experiments-view';
import { OverviewPanel, OVERVIEW_VIEW_TYPE } from './overview/overview-panel';
import { DisposableOwner } from './platform/disposables';
import { log, showError } from './platform/log';
import { WorkspaceStore } from './platform/workspace-store';
import { registerRunCommands } from './runs/run-commands';
import { registerRunsViewCommands } from './runs/runs-view-commands';
import { RunsView } from './runs/runs-view';
import { runMarkdown } from './runs/run-markdown';
import { RunCommands } from './runner/run-commands';
import { RunManager } from './runner/run-manager';
import { RunStatusBar } from './runner/run-status-bar';
import type { RunSummary } from './store';

/** Wires the pieces together; nothing heavy happens here (the store opens on first use). */
export function activate(context: vscode.ExtensionContext): WorkbenchApi {
  const started = Date.now();
  const owner = new DisposableOwner();
  context.subscriptions.push(owner);

  const store = owner.track(new WorkspaceStore(context.extensionUri));
  // The views refresh themselves on store changes (only what changed, and not while hidden).
  const experiments = owner.track(new ExperimentsView(store, context.workspaceState));
  const runs = owner.track(new RunsView(store, context.workspaceState));
  const selectedRuns = () => (runs.view.selection.length > 0 ? runs.view.selection : experiments.view.selection);
  for (const d of [
    ...registerExperimentCommands(store, experiments),
    ...registerRunCommands(store, selectedRuns),
    ...registerRunsViewCommands(store, runs, (experiment) => experiments.tree.loadMore(experiment)),
  ]) {
    owner.track(d);
  }

  const overview = owner.track(
    new OverviewPanel(context.extensionUri, async () => {
      const s = await store.get();
      return { storePath: s.layout.root, experiments: s.listExperiments().length, ...s.runActivity(14) };
    }),
  );
  owner.track(vscode.window.registerWebviewPanelSerializer(OVERVIEW_VIEW_TYPE, { deserializeWebviewPanel: async (panel) => overview.revive(panel) }));

  owner.track(
    store.onDidChange(() => {
      void overview.update();
    }),
  );

  const command = (id: string, fn: (...args: unknown[]) => unknown) =>
    owner.track(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          void showError(`${id}: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
  command('mlwb.showOverview', () => overview.show());
  command('mlwb.refresh', () => store.refresh());
  command('mlwb.rebuildIndex', () => store.rebuild());
  command('mlwb.showLog', () => log().show());

  const runner = owner.track(new RunManager(vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath, store));
  owner.track(new RunStatusBar(runner));
  owner.track(runner.onDidChange(() => void vscode.commands.executeCommand('setContext', 'mlwb.hasRunning', runner.active.length > 0)));
  const runCommands = new RunCommands(runner, store);
  const runTarget = (arg: unknown) => (typeof arg === 'string' ? arg : isRunSummary(arg) ? arg : isRunNode(arg) ? arg.run : undefined);
  command('mlwb.runCurrentFile', (arg) => runCommands.runCurrentFile(arg instanceof vscode.Uri ? { uri: arg } : (arg as object | undefined)));
  command('mlwb.runWithArguments', (arg) => runCommands.runWithArguments(arg instanceof vscode.Uri ? arg : undefined));
  command('mlwb.runOnGpu', (arg) => runCommands.runOnGpu(arg instanceof vscode.Uri ? arg : undefined));
  command('mlwb.rerun', (arg) => {
    const target = runTarget(arg);
    if (!target) throw new Error('pick a run to rerun in the Runs view');
    return runCommands.rerun(target);
  });
  command('mlwb.cancelRun', (arg) => runCommands.cancel(runTarget(arg)));
  command('mlwb.showRunning', () => runCommands.showRunning());
  command('mlwb.openRun', async (arg) => {
    const s = await store.get();
    const target = runTarget(arg);
    const runId = typeof target === 'string' ? target : target?.id ?? (await pickRun(s.listRuns({ limit: 50 }).runs));
    const run = runId ? s.getRun(runId) : undefined;
    if (!run) return;
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: runMarkdown(run) });
    await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
  });

  log().info(`activated in ${Date.now() - started} ms`);
  return { store, views: { experiments, runs }, runner };
}

function isRunSummary(x: unknown): x is RunSummary {
  return typeof x === 'object' && x !== null && typeof (x as RunSummary).id === 'string' && typeof (x as RunSummary).status === 'string';
}

/** Tree nodes that wrap a run ({ run: RunSummary }). */
function isRunNode(x: unknown): x is { run: RunSummary } {
  return typeof x === 'object' && x !== null && isRunSummary((x as { run?: unknown }).run);
}

async function pickRun(runs: RunSummary[]): Promise<string | undefined> {
  const pick = await vscode.window.showQuickPick(runs.map((r) => ({ label: r.name, description: `${r.status} · ${r.experimentName}`, id: r.id })), { title: 'Open which run?' });
  return pick?.id;
}

/** What tests (and other extensions) can reach: the workspace's store and the sidebar views. */
export interface WorkbenchApi {
  store: WorkspaceStore;
  views: { experiments: ExperimentsView; runs: RunsView };
  runner: RunManager;
}

export function deactivate(): void {}
