import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';
import { until, type Seen } from '../shared/until';

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

/**
 * Polls `probe` until it gives a value (test/shared/until.ts); on timeout the error shows what `seen` reports.
 * The default bound is long: it costs nothing when the condition comes, and on a loaded machine a webview's first
 * load or a store pass can take many seconds (code-server reports its extension host unresponsive at times).
 */
export function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000, seen?: Seen): Promise<T> {
  return until(probe, what, { timeout: timeoutMs, seen, interval: 100 });
}

/**
 * What every suite starts from, whatever ran before it: no editors, notifications or terminals, no model
 * server, the workspace's own store (`mlwb.storePath` unset), the Runs view unfiltered and sorted newest first.
 */
export async function resetWorkbench(): Promise<void> {
  const wb = await api();
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('notifications.clearAll');
  for (const t of vscode.window.terminals) t.dispose();
  await wb.serving.servers.stopAll();
  const config = vscode.workspace.getConfiguration('mlwb');
  if (config.inspect('storePath')?.workspaceValue !== undefined) await config.update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
  const home = join(workspaceDir(), '.mlwb');
  await waitFor(async () => (await wb.store.get()).layout.root === home, `the store to be ${home}`, 15_000, async () => (await wb.store.get()).layout.root);
  await vscode.commands.executeCommand('mlwb.clearRunsFilter');
  await vscode.commands.executeCommand('mlwb.sortRuns', { by: 'created', dir: 'desc' });
  await vscode.commands.executeCommand('mlwb.hideArchivedExperiments');
}

/** What the workbench holds, printed when a test fails: the store and its newest runs, tabs, terminals, servers. */
export async function describeWorkbench(): Promise<string> {
  try {
    const wb = await api();
    const store = await wb.store.get();
    const runs = store.listRuns({ limit: 12 });
    const lines = [
      `      store ${store.layout.root}: ${runs.total} run(s)${runs.total > runs.runs.length ? `, newest ${runs.runs.length}` : ''}`,
      ...runs.runs.map((r) => `        ${r.id}  ${r.name}  ${r.status}${r.job ? `  job ${r.job.id} ${r.job.state}` : ''}`),
      `      tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)).join(' | ') || 'none'}`,
      `      terminals: ${vscode.window.terminals.map((t) => t.name).join(' | ') || 'none'}`,
      `      model servers: ${wb.serving.servers.servers.map((s) => `${s.model} v${s.version} ${s.state}`).join(' | ') || 'none'}`,
    ];
    return `    what the workbench held:\n${lines.join('\n')}`;
  } catch (e) {
    return `    (could not describe the workbench: ${(e as Error).message})`;
  }
}
