import * as vscode from 'vscode';
import { refreshWhenVisible } from '../platform/refresh-when-visible';
import type { WorkspaceStore } from '../platform/workspace-store';
import { DESCRIPTION_METRIC_SETTING } from '../runs/description-metric';
import { ExperimentsTree, type ExperimentsNode } from './experiments-tree';

const ARCHIVED_KEY = 'mlwb.experiments.showArchived';
/** Context key: archived experiments are listed (picks Show or Hide Archived in the view title). */
export const SHOW_ARCHIVED_CONTEXT = 'mlwb.experiments.showArchived';

/** The Experiments view: its tree, whether archived experiments show, and its live refresh. */
export class ExperimentsView implements vscode.Disposable {
  readonly tree: ExperimentsTree;
  readonly view: vscode.TreeView<ExperimentsNode>;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(store: WorkspaceStore, private readonly memento: vscode.Memento) {
    this.tree = new ExperimentsTree(store);
    this.tree.showArchived = memento.get<boolean>(ARCHIVED_KEY) ?? false;
    void vscode.commands.executeCommand('setContext', SHOW_ARCHIVED_CONTEXT, this.tree.showArchived);
    this.view = vscode.window.createTreeView('mlwb.experiments', { treeDataProvider: this.tree, showCollapseAll: true, canSelectMany: true });
    this.showState();
    this.subscriptions.push(
      this.view,
      this.tree,
      refreshWhenVisible(this.view, store.onDidChange, () => this.tree.refresh(), 'experiments'),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`mlwb.${DESCRIPTION_METRIC_SETTING}`)) this.tree.reload();
      }),
    );
  }

  async setShowArchived(show: boolean): Promise<void> {
    this.tree.showArchived = show;
    await this.memento.update(ARCHIVED_KEY, show);
    await vscode.commands.executeCommand('setContext', SHOW_ARCHIVED_CONTEXT, show);
    this.showState();
    this.tree.reload();
  }

  private showState(): void {
    this.view.description = this.tree.showArchived ? 'with archived' : undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
