import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from '../platform/commands';
import { resolveInterpreter } from '../runner/interpreter';
import { DatasetPanels, DATASET_VIEW_TYPE } from './panel/dataset-panel';
import { parquetToCsv } from './parquet';

export const DATASET_EXTENSIONS = ['csv', 'tsv', 'parquet'];

/** `mlwb.profileDataset` (a Uri, a path, the active editor's file, or a file picker) and the panels' serializer. */
export function registerDatasetCommands(extensionUri: vscode.Uri): { panels: DatasetPanels; disposables: vscode.Disposable[] } {
  const runnerDir = vscode.Uri.joinPath(extensionUri, 'python-runner').fsPath;
  const panels = new DatasetPanels(extensionUri, async (parquet, csv) => {
    const python = await resolveInterpreter(vscode.Uri.file(parquet));
    if (!python) throw new Error('Parquet files are read by a Python interpreter: none is usable.');
    await parquetToCsv(python.path, runnerDir, parquet, csv);
  });
  return {
    panels,
    disposables: [
      panels,
      vscode.window.registerWebviewPanelSerializer(DATASET_VIEW_TYPE, { deserializeWebviewPanel: (panel, state) => panels.revive(panel, state) }),
      registerCommand('mlwb.profileDataset', async (arg?: unknown) => {
        const file = await datasetFile(arg);
        return file ? panels.open(file) : undefined;
      }),
    ],
  };
}

async function datasetFile(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', arg);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && isDataset(active.fsPath)) return active.fsPath;
  const picked = await vscode.window.showOpenDialog({
    title: 'Profile Dataset',
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { 'Data sets': DATASET_EXTENSIONS },
  });
  return picked?.[0]?.fsPath;
}

export function isDataset(file: string): boolean {
  return DATASET_EXTENSIONS.includes(path.extname(file).slice(1).toLowerCase());
}
