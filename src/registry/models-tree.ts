import * as vscode from 'vscode';
import { StableNodes } from '../platform/stable-nodes';
import type { ServingLookup } from '../serving/serving-lookup';
import type { WorkspaceStore } from '../platform/workspace-store';
import type { ModelSummary, TrackingStore } from '../store';
import { modelItem, versionItem, withVersionTooltip } from './model-item';
import type { ModelNode, ModelsNode, VersionNode } from './model-nodes';

/**
 * Models, each expanding to its versions (newest first). A store change re-queries the models and the
 * version lists already opened, and names only the nodes that changed (see StableNodes).
 */
export class ModelsTree implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly roots = new StableNodes<ModelNode>();
  private readonly versionLists = new Map<string, StableNodes<VersionNode>>();
  private readonly byName = new Map<string, ModelNode>();
  private readonly changed = new vscode.EventEmitter<ModelsNode | ModelsNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  private serving: ServingLookup | undefined;
  private servingSubscription: vscode.Disposable | undefined;

  constructor(private readonly store: WorkspaceStore) {}

  /** Served versions show "serving on :PORT" and offer Stop Serving (the hook src/serving provides). */
  setServing(lookup: ServingLookup): void {
    this.servingSubscription?.dispose();
    this.serving = lookup;
    this.servingSubscription = lookup.onDidChangeServing(() => this.changed.fire(undefined));
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!this.store.directory) return [];
    const store = await this.store.get();
    if (!node) return this.queryModels(store).nodes;
    if (node.kind === 'model') return this.queryVersions(store, node.model.name).nodes;
    return [];
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    return node.kind === 'model' ? modelItem(node) : versionItem(node, this.serving?.servedOn(node.version.model, node.version.version));
  }

  getParent(node: ModelsNode): ModelsNode | undefined {
    return node.kind === 'version' ? this.byName.get(node.version.model) : undefined;
  }

  async resolveTreeItem(item: vscode.TreeItem, node: ModelsNode): Promise<vscode.TreeItem> {
    return node.kind === 'version' ? withVersionTooltip(item, node, await this.store.get()) : item;
  }

  /** The store changed: re-query what is shown, re-render only what changed. */
  async refresh(): Promise<void> {
    if (!this.store.directory) return;
    const store = await this.store.get();
    const roots = this.queryModels(store);
    if (!roots.sameKeys) {
      this.changed.fire(undefined);
      return;
    }
    const fire: ModelsNode[] = [...roots.changed];
    for (const name of [...this.versionLists.keys()]) {
      const parent = this.byName.get(name);
      if (!parent) {
        this.versionLists.delete(name);
        continue;
      }
      if (roots.changed.includes(parent)) continue; // re-rendering it re-lists its versions
      const versions = this.queryVersions(store, name);
      if (!versions.sameKeys) fire.push(parent);
      else fire.push(...versions.changed);
    }
    if (fire.length > 0) this.changed.fire(fire);
  }

  /** The node of a version, once its model has been listed (for reveal). */
  async versionNode(model: string, version: number): Promise<VersionNode | undefined> {
    // Refresh first (it fires what changed), so the query below finds nothing new to report.
    await this.refresh();
    const store = await this.store.get();
    if (!this.byName.has(model)) return undefined;
    return this.queryVersions(store, model).nodes.find((n) => n.version.version === version);
  }

  /** The models currently listed. */
  get models(): ModelSummary[] {
    return [...this.byName.values()].map((n) => n.model);
  }

  private queryModels(store: TrackingStore) {
    const result = this.roots.update(store.listModels().map((model) => ({ key: model.name, fields: { kind: 'model' as const, model } })));
    this.byName.clear();
    for (const n of result.nodes) this.byName.set(n.model.name, n);
    return result;
  }

  private queryVersions(store: TrackingStore, model: string) {
    let list = this.versionLists.get(model);
    if (!list) this.versionLists.set(model, (list = new StableNodes<VersionNode>()));
    return list.update(store.listVersions(model).map((version) => ({ key: String(version.version), fields: { kind: 'version' as const, version } })));
  }

  dispose(): void {
    this.servingSubscription?.dispose();
    this.changed.dispose();
  }
}
