import * as vscode from 'vscode';
import type { WorkspaceStore } from '../platform/workspace-store';
import { ExplainCommands } from './explain-commands';
import { EXPLAIN_VIEW_TYPE, ExplainPanels } from './explain-panel';

export interface Explain {
  /** The open explanation panels. */
  panels: ExplainPanels;
  /** Explain Model… / Open Explanation, and the explain jobs still running. */
  commands: ExplainCommands;
}

/** Explain Model…, Open Explanation, the explanation panel and its serializer. */
export function registerExplain(context: vscode.ExtensionContext, store: WorkspaceStore, track: (d: vscode.Disposable) => void): Explain {
  const panels = new ExplainPanels(context.extensionUri);
  const commands = new ExplainCommands(store, panels, vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath, context.workspaceState);
  track(panels);
  track(commands);
  for (const d of commands.register()) track(d);
  track(vscode.window.registerWebviewPanelSerializer(EXPLAIN_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => panels.revive(panel, state) }));
  return { panels, commands };
}
