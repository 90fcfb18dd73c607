import * as vscode from 'vscode';
import { registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import { ARCHITECTURE_VIEW_TYPE, ArchitecturePanels } from './architecture-panel';
import { SpecDiagnostics } from './diagnostics';

/** Model specs (*.mlwb-model.json): their diagnostics and the Model Architecture panels. */
export interface ModelSpecs {
  diagnostics: SpecDiagnostics;
  architecture: ArchitecturePanels;
}

export function registerModelSpecs(extensionUri: vscode.Uri, store: WorkspaceStore, runnerDir: string, state: vscode.Memento, track: (d: vscode.Disposable) => void): ModelSpecs {
  const diagnostics = new SpecDiagnostics();
  const architecture = new ArchitecturePanels(extensionUri, store, diagnostics, runnerDir, state);
  track(diagnostics);
  track(architecture);
  track(vscode.window.registerWebviewPanelSerializer(ARCHITECTURE_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => architecture.revive(panel, state) }));
  track(registerCommand('mlwb.showArchitecture', (arg?: unknown) => architecture.show(arg instanceof vscode.Uri ? arg : undefined)));
  return { diagnostics, architecture };
}
