import * as vscode from 'vscode';
import type { ExperimentSummary, RunSummary } from '../store';
import type { WorkspaceStore } from '../platform/workspace-store';
import { runItem } from '../runs/run-item';

type Node = { kind: 'experiment'; experiment: ExperimentSummary } | { kind: 'run'; run: RunSummary };

const STATUS_ICON: Record<ExperimentSummary['status'], string> = { active: 'beaker', completed: 'pass', archived: 'archive' };

/** Experiments, each expanding to its runs (newest first). */
export class ExperimentsTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly store: WorkspaceStore) {}

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!this.store.directory) return [];
    const store = await this.store.get();
    if (!node) return store.listExperiments().map((experiment) => ({ kind: 'experiment', experiment }));
    if (node.kind === 'experiment') return store.listRuns({ experiment: node.experiment.id }).runs.map((run) => ({ kind: 'run', run }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'run') return runItem(node.run);
    const e = node.experiment;
    const item = new vscode.TreeItem(e.name, e.runCount > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `experiment:${e.id}`;
    item.description = `${e.runCount} run${e.runCount === 1 ? '' : 's'}${e.runningCount ? `, ${e.runningCount} running` : ''}`;
    item.tooltip = new vscode.MarkdownString(`**${e.id}** (${e.status})${e.description ? `\n\n${e.description}` : ''}`);
    item.iconPath = new vscode.ThemeIcon(STATUS_ICON[e.status]);
    item.contextValue = `experiment.${e.status}`;
    return item;
  }
}
