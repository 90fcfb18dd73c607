import * as vscode from 'vscode';
import { registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import { versionRefOf } from '../registry/model-nodes';
import type { ServingPanels } from './panel/serving-panel';
import type { PredictJobs } from './predict-commands';
import type { ServedVersion, ServerManager } from './server-manager';
import { checkServable, isRecord, pythonFor, trustPickle, versionTarget } from './version-target';

/** What Serve returns (scripts and tests use it). */
export interface ServeResult {
  model: string;
  version: number;
  url: string;
  port: number;
  pid: number;
  tokenRequired: boolean;
}

/**
 * Serve / Stop Serving / Open Serving Panel / Copy Serving URL / Predict on File… / the servers' quick pick.
 * Each takes its version as a Models view node, `{ model, version }` or "model@3", then options
 * (`{ confirm: false }`, `host`, `port`); without one it asks.
 */
export function registerServingCommands(store: WorkspaceStore, servers: ServerManager, panels: ServingPanels, predictions: PredictJobs, state: vscode.Memento): vscode.Disposable[] {
  /** A served version: the one given, else the only one, else a pick among them. */
  const servedTarget = async (target: unknown, title: string): Promise<ServedVersion> => {
    const ref = versionRefOf(target);
    if (ref) {
      const s = servers.get(ref.model, ref.version);
      if (!s) throw new Error(`${ref.model} v${ref.version} is not being served.`);
      return s;
    }
    const v = await versionTarget(store, undefined, title, servers.servers.map((s) => ({ model: s.model, version: s.version })));
    return servers.get(v.model, v.version) ?? Promise.reject(new Error(`${v.model} v${v.version} is not being served.`));
  };

  return [
    registerCommand('mlwb.serveVersion', async (target?: unknown, options?: unknown): Promise<ServeResult | undefined> => {
      const v = await versionTarget(store, target, 'Serve which model version?');
      checkServable(v);
      const running = servers.get(v.model, v.version);
      if (running?.state !== 'running' && !(await trustPickle(state, v, 'Serve', options))) return undefined;
      const python = await pythonFor();
      const o = isRecord(options) ? options : {};
      const served = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Starting a server for ${v.model} v${v.version}` },
        () => servers.serve(v, python, { ...(typeof o.host === 'string' ? { host: o.host } : {}), ...(typeof o.port === 'number' ? { port: o.port } : {}) }),
      );
      const ready = served.ready!;
      if (running?.state !== 'running') {
        void vscode.window.showInformationMessage(`Serving ${v.model} v${v.version} at ${ready.url}`, 'Open Panel', 'Copy URL').then((pick) => {
          if (pick === 'Open Panel') panels.show({ model: v.model, version: v.version });
          else if (pick === 'Copy URL') return vscode.commands.executeCommand('mlwb.copyServingUrl', { model: v.model, version: v.version });
          return undefined;
        });
      }
      return { model: v.model, version: v.version, url: ready.url, port: ready.port, pid: ready.pid, tokenRequired: ready.tokenRequired };
    }),
    registerCommand('mlwb.stopServing', async (target?: unknown) => {
      const s = await servedTarget(target, 'Stop serving which version?');
      const exit = await servers.stop(s.model, s.version);
      vscode.window.setStatusBarMessage(`Stopped serving ${s.model} v${s.version}`, 3000);
      return exit !== undefined;
    }),
    registerCommand('mlwb.openServingPanel', async (target?: unknown) => {
      const ref = versionRefOf(target) ?? (await servedTarget(undefined, 'Open the serving panel of which version?'));
      panels.show({ model: ref.model, version: ref.version });
      return { model: ref.model, version: ref.version };
    }),
    registerCommand('mlwb.copyServingUrl', async (target?: unknown) => {
      const s = await servedTarget(target, 'Copy the URL of which server?');
      if (!s.ready) throw new Error(`${s.model} v${s.version} is not listening yet.`);
      // The server listens on the extension host's machine; attached to a remote (SSH, container,
      // code-server) that is not the user's, so the URL copied is the forwarded one VS Code gives.
      const external = await vscode.env.asExternalUri(vscode.Uri.parse(s.ready.url));
      const url = `${external.toString(true).replace(/\/+$/, '')}/invocations`;
      await vscode.env.clipboard.writeText(url);
      vscode.window.setStatusBarMessage(`Copied ${url}`, 3000);
      return url;
    }),
    registerCommand('mlwb.predictOnFile', (target?: unknown, second?: unknown, third?: unknown) => predictions.run(target, second, third)),
    registerCommand('mlwb.showServers', async () => {
      const s = await servedTarget(undefined, 'Model servers');
      const actions = [
        { label: '$(preview) Open Serving Panel', id: 'mlwb.openServingPanel' },
        ...(s.state === 'running' ? [{ label: '$(copy) Copy URL', description: s.ready?.url, id: 'mlwb.copyServingUrl' }] : []),
        s.state === 'died' ? { label: '$(debug-restart) Restart', id: 'mlwb.serveVersion' } : { label: '$(debug-stop) Stop Serving', id: 'mlwb.stopServing' },
        ...(s.state === 'died' ? [{ label: '$(close) Dismiss', id: 'mlwb.stopServing' }] : []),
      ];
      const pick = await vscode.window.showQuickPick(actions, { title: `${s.model} v${s.version}: ${s.state}${s.ready ? ` at ${s.ready.url}` : ''}` });
      if (pick) await vscode.commands.executeCommand(pick.id, { model: s.model, version: s.version });
    }),
  ];
}
