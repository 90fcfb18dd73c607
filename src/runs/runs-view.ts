import * as vscode from 'vscode';
import { refreshWhenVisible } from '../platform/refresh-when-visible';
import type { WorkspaceStore } from '../platform/workspace-store';
import { DESCRIPTION_METRIC_SETTING } from './description-metric';
import { recentQueries, rememberQuery } from './query-picker';
import type { RunListNode } from './run-nodes';
import { RunsTree } from './runs-tree';
import { describeState, isFiltered, parseFilter, parseSort, type RunsFilter, type RunsSort } from './runs-view-state';

const STATE_KEY = 'mlwb.runsView';
/** Context keys for `when` clauses in package.json. */
export const FILTERED_CONTEXT = 'mlwb.runs.filtered';
export const PYTHON_EDITOR_CONTEXT = 'mlwb.pythonEditorActive';

/**
 * The Runs view: its tree, its filter and sort (kept per workspace and shown as the view's
 * description), and its live refresh (deferred while the view is hidden).
 */
export class RunsView implements vscode.Disposable {
  readonly tree: RunsTree;
  readonly view: vscode.TreeView<RunListNode>;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(store: WorkspaceStore, private readonly memento: vscode.Memento) {
    this.tree = new RunsTree(store);
    const saved = memento.get<{ filter?: unknown; sort?: unknown }>(STATE_KEY);
    try {
      if (saved?.filter) this.tree.filter = parseFilter(saved.filter);
      if (saved?.sort) this.tree.sort = parseSort(saved.sort);
    } catch {
      // A state saved by another version: start unfiltered.
    }
    this.view = vscode.window.createTreeView('mlwb.runs', { treeDataProvider: this.tree, canSelectMany: true });
    this.subscriptions.push(
      this.view,
      this.tree,
      this.tree.onDidQuery(() => this.showState()),
      refreshWhenVisible(this.view, store.onDidChange, () => this.tree.refresh(), 'runs'),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`mlwb.${DESCRIPTION_METRIC_SETTING}`)) this.tree.reload();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.trackEditor()),
      vscode.window.onDidChangeActiveNotebookEditor(() => this.trackEditor()),
    );
    this.trackEditor();
    this.showState();
  }

  get filter(): RunsFilter {
    return this.tree.filter;
  }

  get sort(): RunsSort {
    return this.tree.sort;
  }

  async setFilter(filter: RunsFilter): Promise<void> {
    this.tree.filter = filter;
    if (filter.query) await rememberQuery(this.memento, filter.query);
    await this.changedState();
  }

  /** The queries the Filter offers again, newest first. */
  recentQueries(): string[] {
    return recentQueries(this.memento);
  }

  async setSort(sort: RunsSort): Promise<void> {
    this.tree.sort = sort;
    await this.changedState();
  }

  /** Runs the view currently shows (for tests and commands working on "what is listed"). */
  async shownRuns(): Promise<RunListNode[]> {
    return this.tree.getChildren();
  }

  private async changedState(): Promise<void> {
    await this.memento.update(STATE_KEY, { filter: this.tree.filter, sort: this.tree.sort });
    this.tree.reload();
    this.showState();
  }

  private showState(): void {
    const filtered = isFiltered(this.tree.filter);
    void vscode.commands.executeCommand('setContext', FILTERED_CONTEXT, filtered);
    this.view.description = describeState(this.tree.filter, this.tree.sort) || undefined;
    this.view.message = filtered
      ? this.tree.total === 0
        ? 'No runs match the filter.'
        : `${this.tree.total.toLocaleString('en-US')} matching run${this.tree.total === 1 ? '' : 's'}.`
      : undefined;
  }

  private trackEditor(): void {
    // The view title cannot see editor-scoped keys such as editorLangId once the sidebar has focus.
    const text = vscode.window.activeTextEditor;
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    const python = text && text.document.uri.scheme !== 'vscode-notebook-cell' ? text.document.languageId === 'python' : notebook?.notebookType === 'jupyter-notebook';
    void vscode.commands.executeCommand('setContext', PYTHON_EDITOR_CONTEXT, python);
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
