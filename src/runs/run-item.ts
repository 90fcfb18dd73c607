import * as vscode from 'vscode';
import type { RunSummary } from '../store';

const STATUS_ICON: Record<RunSummary['status'], vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('charts.yellow')),
  crashed: new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.purple')),
};

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A run as a tree item; the same in every view that lists runs. */
export function runItem(run: RunSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.None);
  item.id = `run:${run.id}`;
  item.description = [run.status, formatDuration(run.duration)].filter(Boolean).join(' · ');
  item.iconPath = STATUS_ICON[run.status];
  item.tooltip = new vscode.MarkdownString(
    `**${run.name}** — ${run.status}\n\nExperiment: ${run.experimentName}\n\nStarted: ${new Date(run.created * 1000).toLocaleString()}` +
      (run.tags.length ? `\n\nTags: ${run.tags.join(', ')}` : ''),
  );
  item.accessibilityInformation = { label: `Run ${run.name}, ${run.status}${run.duration !== undefined ? `, ${formatDuration(run.duration)}` : ''}` };
  item.contextValue = `run.${run.status}`;
  return item;
}
