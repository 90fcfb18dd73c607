import * as vscode from 'vscode';
import type { WorkspaceStore } from '../platform/workspace-store';
import { EvaluateCommands } from './evaluate-commands';
import { EVALUATION_VIEW_TYPE, EvaluationPanels } from './evaluation-panel';
import { PromotionGate } from './promotion-gate';

export interface Evaluate {
  /** The open evaluation panels. */
  panels: EvaluationPanels;
  /** Evaluate Model… / Compare Models… / Open Evaluation, and the jobs still running. */
  commands: EvaluateCommands;
  /** Promote to Production's gate. */
  gate: PromotionGate;
}

/** Evaluate Model…, Compare Models…, Open Evaluation, the evaluation panel and its serializer. */
export function registerEvaluate(context: vscode.ExtensionContext, store: WorkspaceStore, track: (d: vscode.Disposable) => void): Evaluate {
  const panels = new EvaluationPanels(context.extensionUri);
  const commands = new EvaluateCommands(store, panels, vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath, context.workspaceState);
  track(panels);
  track(commands);
  for (const d of commands.register()) track(d);
  track(vscode.window.registerWebviewPanelSerializer(EVALUATION_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => panels.revive(panel, state) }));
  return { panels, commands, gate: new PromotionGate(store, commands, panels) };
}
