import * as vscode from 'vscode';
import type { RunSummary, TrackingStore } from '../store';
import { isNotebookRun } from './notebook-run';
import type { MoreNode, RunNode } from './run-nodes';
import { formatDuration, runDescription, runTooltip } from './run-text';

export { formatDuration } from './run-text';

const STATUS_ICON: Record<RunSummary['status'], vscode.ThemeIcon> = {
  queued: new vscode.ThemeIcon('clock', new vscode.ThemeColor('charts.orange')),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('charts.yellow')),
  crashed: new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.purple')),
};

/**
 * A run as a tree item; the same in every view that lists runs. The tooltip (params, metrics) is
 * filled in on hover by the tree's resolveTreeItem. contextValue `run.<status>` drives per-status menus
 * (`run.<status>.tuning` when the run holds tuning sessions, `.notebook` when it ran a notebook, `.slurm` last for a Slurm job: match statuses
 * with `/^run\.running(\.|$)/`).
 */
export function runItem(node: RunNode): vscode.TreeItem {
  const { run } = node;
  const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.None);
  item.id = `run:${run.id}`;
  item.description = runDescription(run, node.metric);
  item.iconPath = STATUS_ICON[run.status];
  item.accessibilityInformation = { label: `Run ${run.name}, ${run.status}${run.duration !== undefined ? `, ${formatDuration(run.duration)}` : ''}` };
  item.contextValue = `run.${run.status}${run.tuning ? '.tuning' : ''}${isNotebookRun(run) ? '.notebook' : ''}${run.job ? '.slurm' : ''}`;
  // A click previews the dashboard, a double click keeps it (VS Code runs no command for a Ctrl/Shift multi-selection).
  item.command = { command: 'mlwb.previewRun', title: 'Open Run', arguments: [node] };
  return item;
}

export function moreItem(node: MoreNode): vscode.TreeItem {
  const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
  item.id = `more:${node.list}`;
  item.description = `${node.shown.toLocaleString('en-US')} of ${node.total.toLocaleString('en-US')}`;
  item.iconPath = new vscode.ThemeIcon('ellipsis');
  item.command = { command: 'mlwb.loadMoreRuns', title: 'Load More Runs', arguments: [node] };
  item.contextValue = 'more';
  return item;
}

/** Fills in a run item's tooltip on hover: params and last metrics need the run in full. */
export function withRunTooltip(item: vscode.TreeItem, node: RunNode, store: TrackingStore): vscode.TreeItem {
  const detail = store.getRun(node.run.id, { logLimit: 0 });
  if (detail) item.tooltip = new vscode.MarkdownString(runTooltip(detail));
  return item;
}
