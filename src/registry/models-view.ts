import * as vscode from 'vscode';
import { refreshWhenVisible } from '../platform/refresh-when-visible';
import type { WorkspaceStore } from '../platform/workspace-store';
import type { ModelsNode } from './model-nodes';
import { ModelsTree } from './models-tree';

/** Context key: the store has registered models (shows the registry commands in the palette). */
export const HAS_MODELS_CONTEXT = 'mlwb.hasModels';

/** The Models view: its tree and its live refresh (a hidden view catches up when shown). */
export class ModelsView implements vscode.Disposable {
  readonly tree: ModelsTree;
  readonly view: vscode.TreeView<ModelsNode>;
  private hasModels: boolean | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly store: WorkspaceStore) {
    this.tree = new ModelsTree(store);
    this.view = vscode.window.createTreeView('mlwb.models', { treeDataProvider: this.tree, showCollapseAll: true });
    this.subscriptions.push(
      this.view,
      this.tree,
      refreshWhenVisible(this.view, store.onDidChange, () => this.tree.refresh(), 'models'),
      store.onDidChange(() => this.updateHasModels()),
    );
  }

  /** Shows a version in the view, selected (after a registration). */
  async reveal(model: string, version: number): Promise<void> {
    const node = await this.tree.versionNode(model, version);
    if (node) await this.view.reveal(node, { select: true, focus: false, expand: true });
  }

  /** The palette shows model commands only when there are models. */
  private updateHasModels(): void {
    void this.store
      .get()
      .then((s) => {
        const has = s.listModels().length > 0;
        if (has !== this.hasModels) void vscode.commands.executeCommand('setContext', HAS_MODELS_CONTEXT, (this.hasModels = has));
      })
      .catch(() => undefined);
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
