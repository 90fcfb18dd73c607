import * as vscode from 'vscode';
import type { TrackingStore, XAxis } from '../../store';
import { fileSafe, seriesCsv, type CsvSeries } from './csv';

/**
 * Every point of `key` for each run (within `range` on `xAxis` when zoomed), read at full fidelity
 * from the store: the CSV holds the data, not what the chart happened to draw.
 */
export function fullSeries(store: TrackingStore, runs: readonly { id: string; name: string }[], key: string, xAxis: XAxis, range?: [number, number]): CsvSeries[] {
  const out: CsvSeries[] = [];
  for (const run of runs) {
    const count = store.getRun(run.id, { logLimit: 0 })?.metrics.find((m) => m.key === key)?.count ?? 0;
    if (count === 0) continue;
    const view = store.getSeries(run.id, key, { width: Math.ceil(count / 4) + 1, xAxis, range });
    if (view) out.push({ run: run.id, runName: run.name, key, step: view.step, time: view.time, value: view.y });
  }
  return out;
}

/** Asks where to save (unless `target` is given) and writes the CSV; returns where it went. */
export async function saveCsv(series: CsvSeries[], suggested: string, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const uri = target ?? (await askWhere(`${fileSafe(suggested)}.csv`, { CSV: ['csv'] }));
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, Buffer.from(seriesCsv(series), 'utf8'));
  announce(uri);
  return uri;
}

export async function savePng(dataUrl: string, suggested: string, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const uri = target ?? (await askWhere(`${fileSafe(suggested)}.png`, { PNG: ['png'] }));
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
  announce(uri);
  return uri;
}

function askWhere(name: string, filters: Record<string, string[]>): Thenable<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters });
}

function announce(uri: vscode.Uri): void {
  void vscode.window.showInformationMessage(`Saved ${vscode.workspace.asRelativePath(uri)}`, 'Open').then((a) => {
    if (a) void vscode.commands.executeCommand('vscode.open', uri);
  });
}
