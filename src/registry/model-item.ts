import * as vscode from 'vscode';
import { pinnedState, pinnedStateText } from '../evaluate/pinned-data';
import type { ModelStage, TrackingStore } from '../store';
import type { ModelNode, VersionNode } from './model-nodes';
import { modelDescription, shortTime, STAGE_LABEL, versionContext, versionDescription, versionLabel, versionTooltip } from './model-text';

const STAGE_ICON: Record<ModelStage, vscode.ThemeIcon> = {
  none: new vscode.ThemeIcon('circle-large-outline'),
  staging: new vscode.ThemeIcon('beaker', new vscode.ThemeColor('charts.yellow')),
  production: new vscode.ThemeIcon('rocket', new vscode.ThemeColor('charts.green')),
  archived: new vscode.ThemeIcon('archive', new vscode.ThemeColor('disabledForeground')),
};

/** contextValue `model` drives the model's menu (Register…, Delete Model…). */
export function modelItem(node: ModelNode): vscode.TreeItem {
  const m = node.model;
  const item = new vscode.TreeItem(m.name, m.versionCount > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  item.id = `model:${m.name}`;
  item.description = modelDescription(m);
  item.iconPath = new vscode.ThemeIcon('package');
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown('**').appendText(m.name).appendMarkdown(`** — ${modelDescription(m)}`);
  if (m.description) md.appendMarkdown('\n\n').appendText(m.description);
  const aliases = Object.entries(m.aliases);
  if (aliases.length) md.appendMarkdown('\n\nAliases: ').appendText(aliases.map(([a, v]) => `@${a} → ${versionLabel(v)}`).join(', '));
  if (m.tags.length) md.appendMarkdown('\n\nTags: ').appendText(m.tags.join(', '));
  if (m.created !== undefined) md.appendMarkdown(`\n\nCreated ${shortTime(m.created)}`);
  let flag = '';
  if (m.evaluationData) {
    md.appendMarkdown('\n\nEvaluation data: ').appendText(`${m.evaluationData.path}${m.evaluationData.target ? ` (target ${m.evaluationData.target})` : ''}`);
    const state = pinnedState(m.evaluationData);
    if (state !== 'ok') {
      flag = pinnedStateText(state, m.evaluationData.path);
      item.description = `${item.description} · ⚠ evaluation data ${state}`;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      md.appendMarkdown('\n\n$(warning) ').appendText(flag);
    }
  }
  item.tooltip = md;
  item.accessibilityInformation = { label: `Model ${m.name}, ${modelDescription(m)}${flag ? `, ${flag}` : ''}` };
  item.contextValue = 'model';
  return item;
}

/**
 * contextValue `version.<stage>[.aliased][.serving]` drives which promotions its menu offers (and Serve or
 * Stop Serving). Clicking opens its panel. `served`: its model server's port, when one runs.
 */
export function versionItem(node: VersionNode, served?: { port: number }): vscode.TreeItem {
  const v = node.version;
  const item = new vscode.TreeItem(versionLabel(v.version), vscode.TreeItemCollapsibleState.None);
  item.id = `version:${v.model}@${v.version}`;
  item.description = versionDescription(v);
  item.iconPath = STAGE_ICON[v.stage];
  item.accessibilityInformation = {
    label: `${v.model} version ${v.version}, ${STAGE_LABEL[v.stage]}${v.aliases.length ? `, aliases ${v.aliases.join(', ')}` : ''}`,
  };
  item.contextValue = versionContext(v);
  if (served) {
    item.description = [item.description, `serving on :${served.port}`].filter(Boolean).join(' · ');
    item.contextValue += '.serving';
    item.accessibilityInformation = { label: `${item.accessibilityInformation.label}, serving on port ${served.port}` };
  }
  // A click previews the version's panel, a double click keeps it.
  item.command = { command: 'mlwb.previewVersion', title: 'Open Version', arguments: [{ model: v.model, version: v.version }] };
  return item;
}

/** Fills in a version's tooltip on hover: the source run's name and status need a lookup. */
export function withVersionTooltip(item: vscode.TreeItem, node: VersionNode, store: TrackingStore): vscode.TreeItem {
  const v = node.version;
  const run = v.sourceRun ? store.getRun(v.sourceRun, { logLimit: 0 }) : undefined;
  item.tooltip = new vscode.MarkdownString(versionTooltip(v, run));
  return item;
}
