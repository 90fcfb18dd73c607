import * as vscode from 'vscode';
import type { WorkspaceStore } from '../platform/workspace-store';
import { StableNodes } from '../platform/stable-nodes';
import { DescriptionMetric } from './description-metric';
import { moreItem, runItem, withRunTooltip } from './run-item';
import { queryRunPage, type RunListNode } from './run-nodes';
import { DEFAULT_SORT, listOptions, type RunsFilter, type RunsSort } from './runs-view-state';

/**
 * Every run (filtered, sorted), a page of 200 at a time with "Load more…". A store change re-queries
 * what is shown and names only the nodes that changed when the list kept its order.
 */
export class RunsTree implements vscode.TreeDataProvider<RunListNode> {
  filter: RunsFilter = {};
  sort: RunsSort = DEFAULT_SORT;
  /** Runs matching the filter at the last query. */
  total = 0;
  private pages = 1;
  /** Nodes a refresh just queried, for the getChildren() that its event causes (one query, not two). */
  private prefetched: { nodes: RunListNode[]; at: number } | undefined;
  private readonly nodes = new StableNodes<RunListNode>();
  private readonly metric = new DescriptionMetric();
  private readonly changed = new vscode.EventEmitter<RunListNode | RunListNode[] | undefined>();
  private readonly queried = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  /** After every query (the view's message depends on the total). */
  readonly onDidQuery = this.queried.event;

  constructor(private readonly store: WorkspaceStore) {}

  async getChildren(parent?: RunListNode): Promise<RunListNode[]> {
    if (parent || !this.store.directory) return [];
    const prefetched = this.prefetched;
    this.prefetched = undefined;
    if (prefetched && Date.now() - prefetched.at < 1000) return prefetched.nodes;
    return this.query(await this.store.get()).nodes;
  }

  getTreeItem(node: RunListNode): vscode.TreeItem {
    return node.kind === 'run' ? runItem(node) : moreItem(node);
  }

  async resolveTreeItem(item: vscode.TreeItem, node: RunListNode): Promise<vscode.TreeItem> {
    return node.kind === 'run' ? withRunTooltip(item, node, await this.store.get()) : item;
  }

  /** The store changed: re-query, then re-render only what changed (everything when the order did). */
  async refresh(): Promise<void> {
    if (!this.store.directory) return;
    this.metric.invalidate();
    const result = this.query(await this.store.get());
    if (!result.sameKeys) {
      this.prefetched = { nodes: result.nodes, at: Date.now() };
      this.changed.fire(undefined);
    } else if (result.changed.length > 0) this.changed.fire(result.changed);
  }

  /** The filter, sort or description metric changed: back to the first page. */
  reload(): void {
    this.pages = 1;
    this.prefetched = undefined;
    this.metric.invalidate(true);
    this.nodes.reset();
    this.changed.fire(undefined);
  }

  loadMore(): void {
    this.pages++;
    this.prefetched = undefined;
    this.nodes.reset();
    this.changed.fire(undefined);
  }

  private query(store: Awaited<ReturnType<WorkspaceStore['get']>>) {
    const page = queryRunPage(store, 'runs', listOptions(this.filter, this.sort), this.pages, this.metric.key(store));
    this.total = page.total;
    this.queried.fire();
    return this.nodes.update(page.entries);
  }

  dispose(): void {
    this.changed.dispose();
    this.queried.dispose();
  }
}
