import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from '../platform/commands';

export const DEFAULT_FOLDER = 'mlwb-starter';

/**
 * `mlwb.createExampleProject`: copies the starter project shipped in python-runner/examples/starter
 * (CSV data sets, a training script using the SDK, a tuning spec, a README) into a new folder of the
 * workspace, then opens train.py and the README. Never overwrites: an existing folder is an error.
 *
 * Arguments (tests, scripts): `{ folder?: string, open?: boolean }`; `folder` is relative to the workspace.
 */
export function registerExampleProject(extensionUri: vscode.Uri): vscode.Disposable {
  const source = vscode.Uri.joinPath(extensionUri, 'python-runner', 'examples', 'starter').fsPath;
  return registerCommand('mlwb.createExampleProject', async (arg?: unknown) => {
    const options = typeof arg === 'object' && arg !== null ? (arg as { folder?: unknown; open?: unknown }) : {};
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root) throw new Error('Open a folder first: the example project is written into the workspace.');
    const name =
      typeof options.folder === 'string'
        ? options.folder
        : await vscode.window.showInputBox({
            title: 'Create Example Project',
            prompt: 'Folder to create in the workspace',
            value: await freeName(root),
            validateInput: (v) => validateFolder(root, v),
          });
    if (!name) return undefined;
    const problem = await validateFolder(root, name);
    if (problem) throw new Error(problem);
    const target = path.resolve(root, name);
    await fs.cp(source, target, { recursive: true, errorOnExist: true, force: false, filter: (src) => !/__pycache__|\.mlwb$/.test(src) });
    if (options.open !== false) {
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(target, 'train.py')), { preview: false });
      void vscode.commands.executeCommand('markdown.showPreviewToSide', vscode.Uri.file(path.join(target, 'README.md')));
      void vscode.window.showInformationMessage(`Example project created in ${name}: press Run in the editor title to train.`);
    }
    return target;
  });
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

async function freeName(root: string): Promise<string> {
  for (let i = 1; ; i++) {
    const name = i === 1 ? DEFAULT_FOLDER : `${DEFAULT_FOLDER}-${i}`;
    if (!(await exists(path.join(root, name)))) return name;
  }
}

export async function validateFolder(root: string, name: string): Promise<string | undefined> {
  const trimmed = name.trim();
  if (!trimmed) return 'Give the folder a name.';
  const target = path.resolve(root, trimmed);
  if (target !== root && !target.startsWith(root + path.sep)) return 'The folder must be inside the workspace.';
  if (target === root) return 'Give a new folder: the workspace itself is not empty.';
  if (await exists(target)) return `${trimmed} already exists: pick another name (nothing is overwritten).`;
  return undefined;
}
