import * as vscode from 'vscode';

/** The extension's output channel: every process, ingestion problem and rejected message lands here. */
let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('MLOps Workbench', { log: true });
  return channel;
}

/** An error toast that offers the log, so a failure is never silent. */
export async function showError(message: string, ...actions: string[]): Promise<string | undefined> {
  log().error(message);
  const picked = await vscode.window.showErrorMessage(message, ...actions, 'Show Log');
  if (picked === 'Show Log') log().show(true);
  return picked;
}
