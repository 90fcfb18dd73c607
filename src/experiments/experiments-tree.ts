import * as vscode from 'vscode';
import type { ExperimentSummary, TrackingStore } from '../store';
import type { WorkspaceStore } from '../platform/workspace-store';
import { StableNodes } from '../platform/stable-nodes';
import { DescriptionMetric } from '../runs/description-metric';
import { moreItem, runItem, withRunTooltip } from '../runs/run-item';
import { queryRunPage, type RunListNode } from '../runs/run-nodes';
import { experimentItem, type ExperimentNode } from './experiment-item';

export type ExperimentsNode = ExperimentNode | RunListNode;

/**
 * Experiments, each expanding to its runs (newest first, 200 at a time). A store change re-queries the
 * experiments and the run lists already opened, and names only the nodes that changed.
 */
export class ExperimentsTree implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  showArchived = false;
  private readonly roots = new StableNodes<ExperimentNode>();
  /** The run lists VS Code has asked for, by experiment id. */
  private readonly runLists = new Map<string, StableNodes<RunListNode>>();
  private readonly pages = new Map<string, number>();
  private readonly byId = new Map<string, ExperimentNode>();
  private readonly metric = new DescriptionMetric();
  private readonly changed = new vscode.EventEmitter<ExperimentsNode | ExperimentsNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly store: WorkspaceStore) {}

  async getChildren(node?: ExperimentsNode): Promise<ExperimentsNode[]> {
    if (!this.store.directory) return [];
    const store = await this.store.get();
    if (!node) return this.queryExperiments(store).nodes;
    if (node.kind === 'experiment') return this.queryRuns(store, node.experiment.id).nodes;
    return [];
  }

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    if (node.kind === 'experiment') return experimentItem(node.experiment);
    return node.kind === 'run' ? runItem(node) : moreItem(node);
  }

  async resolveTreeItem(item: vscode.TreeItem, node: ExperimentsNode): Promise<vscode.TreeItem> {
    return node.kind === 'run' ? withRunTooltip(item, node, await this.store.get()) : item;
  }

  /** The store changed: re-query what is shown, re-render only what changed. */
  async refresh(): Promise<void> {
    if (!this.store.directory) return;
    const store = await this.store.get();
    this.metric.invalidate();
    const roots = this.queryExperiments(store);
    if (!roots.sameKeys) {
      this.changed.fire(undefined);
      return;
    }
    const fire: ExperimentsNode[] = [...roots.changed];
    for (const id of [...this.runLists.keys()]) {
      const parent = this.byId.get(id);
      if (!parent) {
        this.runLists.delete(id);
        continue;
      }
      if (roots.changed.includes(parent)) continue; // re-rendering it re-lists its runs
      const runs = this.queryRuns(store, id);
      if (!runs.sameKeys) fire.push(parent);
      else fire.push(...runs.changed);
    }
    if (fire.length > 0) this.changed.fire(fire);
  }

  /** Archived shown or not, or the description metric changed: re-render everything. */
  reload(): void {
    this.metric.invalidate(true);
    this.roots.reset();
    for (const list of this.runLists.values()) list.reset();
    this.changed.fire(undefined);
  }

  loadMore(experiment: string): void {
    this.pages.set(experiment, (this.pages.get(experiment) ?? 1) + 1);
    const parent = this.byId.get(experiment);
    this.runLists.get(experiment)?.reset();
    this.changed.fire(parent);
  }

  private queryExperiments(store: TrackingStore) {
    const experiments = store.listExperiments({ includeArchived: this.showArchived });
    const result = this.roots.update(experiments.map((experiment) => ({ key: experiment.id, fields: { kind: 'experiment', experiment } })));
    this.byId.clear();
    for (const n of result.nodes) this.byId.set(n.experiment.id, n);
    return result;
  }

  private queryRuns(store: TrackingStore, experiment: string) {
    const page = queryRunPage(store, experiment, { experiment }, this.pages.get(experiment) ?? 1, this.metric.key(store));
    let list = this.runLists.get(experiment);
    if (!list) this.runLists.set(experiment, (list = new StableNodes<RunListNode>()));
    return list.update(page.entries);
  }

  /** The experiment summaries currently listed. */
  get experiments(): ExperimentSummary[] {
    return [...this.byId.values()].map((n) => n.experiment);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
