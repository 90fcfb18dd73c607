import * as vscode from 'vscode';
import { activeFileUri, fileArgument } from '../platform/active-file';
import { registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import type { MoreNode } from './run-nodes';
import { pickFilter, pickSort } from './runs-pickers';
import type { RunsView } from './runs-view';
import { parseFilter, parseSort } from './runs-view-state';

/**
 * The Runs view's title actions. Filter and Sort take the new state as an argument (tests, links)
 * or ask with a quick pick; Load More is the "Load more…" item's own command (either tree).
 */
export function registerRunsViewCommands(store: WorkspaceStore, runs: RunsView, loadMoreInExperiment: (experiment: string) => void): vscode.Disposable[] {
  return [
    registerCommand('mlwb.filterRuns', async (filter?: unknown) => {
      const next = filter !== undefined ? parseFilter(filter) : await pickFilter(runs.filter, (await store.get()).runTagNames(), runs.recentQueries());
      if (next) await runs.setFilter(next);
      return runs.filter;
    }),
    registerCommand('mlwb.sortRuns', async (sort?: unknown) => {
      const next = sort !== undefined ? parseSort(sort) : await pickSort(runs.sort, (await store.get()).metricKeys());
      if (next) await runs.setSort(next);
      return runs.sort;
    }),
    registerCommand('mlwb.clearRunsFilter', () => runs.setFilter({})),
    registerCommand('mlwb.showRunsOfFile', async (uri?: unknown) => {
      const file = fileArgument(uri) ?? activeFileUri();
      if (!file || file.scheme !== 'file') throw new Error('Open a training file first.');
      await runs.setFilter({ script: file.fsPath });
      await vscode.commands.executeCommand('mlwb.runs.focus');
      return runs.filter;
    }),
    registerCommand('mlwb.loadMoreRuns', (node?: unknown) => {
      const experiment = (node as MoreNode | undefined)?.kind === 'more' ? (node as MoreNode).experiment : undefined;
      if (experiment === undefined) runs.tree.loadMore();
      else loadMoreInExperiment(experiment);
    }),
  ];
}
