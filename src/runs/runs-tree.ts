import * as vscode from 'vscode';
import type { RunSummary } from '../store';
import type { WorkspaceStore } from '../platform/workspace-store';
import { runItem } from './run-item';

const PAGE = 200;

/** Every run, newest first (the first page; filters, sorting and paging come with the runs view). */
export class RunsTree implements vscode.TreeDataProvider<RunSummary> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly store: WorkspaceStore) {}

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(parent?: RunSummary): Promise<RunSummary[]> {
    if (parent || !this.store.directory) return [];
    return (await this.store.get()).listRuns({ limit: PAGE }).runs;
  }

  getTreeItem(run: RunSummary): vscode.TreeItem {
    return runItem(run);
  }
}
