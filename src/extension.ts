import * as vscode from 'vscode';
import { ExperimentsTree } from './experiments/experiments-tree';
import { OverviewPanel, OVERVIEW_VIEW_TYPE } from './overview/overview-panel';
import { DisposableOwner } from './platform/disposables';
import { log, showError } from './platform/log';
import { WorkspaceStore } from './platform/workspace-store';
import { RunsTree } from './runs/runs-tree';

/** Wires the pieces together; nothing heavy happens here (the store opens on first use). */
export function activate(context: vscode.ExtensionContext): WorkbenchApi {
  const started = Date.now();
  const owner = new DisposableOwner();
  context.subscriptions.push(owner);

  const store = owner.track(new WorkspaceStore(context.extensionUri));
  const experiments = new ExperimentsTree(store);
  const runs = new RunsTree(store);
  owner.track(vscode.window.createTreeView('mlwb.experiments', { treeDataProvider: experiments, showCollapseAll: true }));
  owner.track(vscode.window.createTreeView('mlwb.runs', { treeDataProvider: runs, canSelectMany: true }));

  const overview = owner.track(
    new OverviewPanel(context.extensionUri, async () => {
      const s = await store.get();
      return { storePath: s.layout.root, experiments: s.listExperiments().length, ...s.runActivity(14) };
    }),
  );
  owner.track(vscode.window.registerWebviewPanelSerializer(OVERVIEW_VIEW_TYPE, { deserializeWebviewPanel: async (panel) => overview.revive(panel) }));

  owner.track(
    store.onDidChange(() => {
      experiments.refresh();
      runs.refresh();
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

  log().info(`activated in ${Date.now() - started} ms`);
  return { store };
}

/** What tests (and other extensions) can reach: the workspace's store. */
export interface WorkbenchApi {
  store: WorkspaceStore;
}

export function deactivate(): void {}
