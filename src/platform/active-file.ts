import * as vscode from 'vscode';

/**
 * The file the user is looking at: a text editor's document, or the notebook of the notebook editor (whose
 * focused cell is a text editor too, with a `vscode-notebook-cell:` URI that is not a file to run).
 */
export function activeFileUri(): vscode.Uri | undefined {
  // The active tab first: with a notebook active, activeTextEditor can still be a text editor of another group.
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputNotebook) return tab.uri;
  const text = vscode.window.activeTextEditor?.document.uri;
  if (text && text.scheme !== 'vscode-notebook-cell') return text;
  return vscode.window.activeNotebookEditor?.notebook.uri;
}

/**
 * The file a command was invoked on: a URI (editor title, Explorer), a notebook document (the notebook
 * toolbar passes the notebook), or `{ notebookEditor: { notebookUri } }` / `{ uri }` shapes.
 */
export function fileArgument(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const o = arg as { uri?: unknown; notebookType?: unknown; notebookEditor?: { notebookUri?: unknown; notebook?: { uri?: unknown } } };
  if (o.uri instanceof vscode.Uri && typeof o.notebookType === 'string') return o.uri;
  const editor = o.notebookEditor;
  if (editor?.notebookUri instanceof vscode.Uri) return editor.notebookUri;
  if (editor?.notebook?.uri instanceof vscode.Uri) return editor.notebook.uri;
  return undefined;
}

/** Saves the open text document or notebook of `uri` if it has unsaved changes, so what runs is what is shown. */
export async function saveIfDirty(uri: vscode.Uri): Promise<void> {
  const key = uri.toString();
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
  if (doc?.isDirty) await doc.save();
  const nb = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === key);
  if (nb?.isDirty) await nb.save();
}
