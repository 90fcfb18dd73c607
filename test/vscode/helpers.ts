import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';

export const EXTENSION_ID = 'mlwb.mlops-workbench';

export function extension(): vscode.Extension<WorkbenchApi> {
  const ext = vscode.extensions.getExtension<WorkbenchApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  return ext;
}

export async function api(): Promise<WorkbenchApi> {
  return extension().activate();
}

export function workspaceDir(): string {
  const dir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!dir) throw new Error('tests need a workspace folder');
  return dir;
}

/** Runs the example training script with Debian's Python and the real mlwb SDK, in the workspace. */
export async function runExample(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['train.py', ...args], {
    cwd: workspaceDir(),
    env: { ...process.env, PYTHONPATH: join(extension().extensionPath, 'python-runner'), MLWB_STORE: '' },
  });
  return stdout;
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
