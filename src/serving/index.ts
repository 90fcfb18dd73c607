import * as vscode from 'vscode';
import type { WorkspaceStore } from '../platform/workspace-store';
import { ServingPanels, SERVING_VIEW_TYPE } from './panel/serving-panel';
import { PredictJobs } from './predict-commands';
import { ServerManager } from './server-manager';
import { registerServingCommands } from './serving-commands';
import { ServingStatusBar } from './serving-status-bar';

export interface Serving {
  servers: ServerManager;
  panels: ServingPanels;
  predictions: PredictJobs;
}

/** Model serving and batch prediction: the servers, their panels, status bar and commands. */
export function registerServing(context: vscode.ExtensionContext, store: WorkspaceStore, track: <T extends { dispose(): unknown }>(d: T) => T): Serving {
  const runnerDir = vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath;
  const servers = track(new ServerManager(runnerDir));
  const panels = track(new ServingPanels(context.extensionUri, servers));
  const predictions = track(new PredictJobs(runnerDir, store, context.workspaceState));
  track(new ServingStatusBar(servers));
  for (const d of registerServingCommands(store, servers, panels, predictions, context.workspaceState)) track(d);
  track(vscode.window.registerWebviewPanelSerializer(SERVING_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => panels.revive(panel, state) }));
  return { servers, panels, predictions };
}

export type { ServingLookup } from './serving-lookup';
