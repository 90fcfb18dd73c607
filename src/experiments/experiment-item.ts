import * as vscode from 'vscode';
import type { ExperimentSummary } from '../store';

export interface ExperimentNode {
  kind: 'experiment';
  experiment: ExperimentSummary;
}

const STATUS_ICON: Record<ExperimentSummary['status'], vscode.ThemeIcon> = {
  active: new vscode.ThemeIcon('beaker'),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  archived: new vscode.ThemeIcon('archive', new vscode.ThemeColor('disabledForeground')),
};
const RUNNING_ICON = new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));

/** contextValue `experiment.<status>` drives the per-status menu entries (Mark Completed, Archive…). */
export function experimentItem(e: ExperimentSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(e.name, e.runCount > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = `experiment:${e.id}`;
  const runs = `${e.runCount} run${e.runCount === 1 ? '' : 's'}${e.runningCount ? `, ${e.runningCount} running` : ''}`;
  item.description = e.status === 'active' ? runs : `${runs} · ${e.status}`;
  item.iconPath = e.runningCount > 0 && e.status === 'active' ? RUNNING_ICON : STATUS_ICON[e.status];
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**`).appendText(e.id).appendMarkdown(`** — ${e.status}\n\n${runs}`);
  if (e.description) md.appendMarkdown('\n\n').appendText(e.description);
  if (e.tags.length) md.appendMarkdown('\n\nTags: ').appendText(e.tags.join(', '));
  if (e.updated) md.appendMarkdown(`\n\nUpdated ${new Date(e.updated * 1000).toLocaleString()}`);
  item.tooltip = md;
  item.accessibilityInformation = { label: `Experiment ${e.name}, ${e.status}, ${runs}` };
  item.contextValue = `experiment.${e.status}`;
  return item;
}
