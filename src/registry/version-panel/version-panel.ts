import * as vscode from 'vscode';
import { log } from '../../platform/log';
import { PanelHost, type PanelKind } from '../../platform/webview-panel';
import type { WorkspaceStore } from '../../platform/workspace-store';
import type { RefreshResult } from '../../store';
import { versionLabel } from '../model-text';
import type { VersionRef } from '../model-nodes';
import { parseFromVersionPanel, parseVersionPanelState, VERSION_PROTOCOL, type FromVersionPanel, type ToVersionPanel } from './contract';
import { versionPanelData } from './version-data';

export const VERSION_VIEW_TYPE = 'mlwb.modelVersion';

type Host = PanelHost<FromVersionPanel, ToVersionPanel>;

const STAGE_COMMAND = { staging: 'mlwb.promoteToStaging', production: 'mlwb.promoteToProduction', archived: 'mlwb.archiveVersion' } as const;

/**
 * Model version panels: one per version, refreshed when the store changes, restored after a reload.
 * Its buttons run the same commands as the Models view's menu, so the user is told the same things.
 */
export class VersionPanels implements vscode.Disposable {
  private readonly open = new Map<string, { ref: VersionRef; host: Host; last?: ToVersionPanel; preview?: boolean }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: WorkspaceStore,
  ) {}

  /** Opens (or reveals) a version's panel, kept. */
  show(ref: VersionRef): Host {
    const existing = this.open.get(key(ref));
    if (existing) {
      this.keep(ref);
      existing.host.panel.reveal();
      return existing.host;
    }
    return this.attach(ref, PanelHost.open(this.kind(ref), this.extensionUri));
  }

  /**
   * A single click in the Models view: the version in the one preview panel, which the next click replaces (in
   * its place); the focus stays in the view. A double click, Open Version or a stage change keeps it.
   */
  preview(ref: VersionRef): Host {
    const existing = this.open.get(key(ref));
    if (existing) {
      existing.host.panel.reveal(undefined, true);
      return existing.host;
    }
    const old = [...this.open.values()].find((p) => p.preview);
    const column = old?.host.panel.viewColumn ?? vscode.ViewColumn.Active;
    old?.host.dispose();
    const host = this.attach(ref, PanelHost.open(this.kind(ref), this.extensionUri, column, true));
    this.open.get(key(ref))!.preview = true;
    host.panel.title = `${ref.model} ${versionLabel(ref.version)} (preview)`;
    return host;
  }

  /** Whether a version's panel is the preview. */
  isPreview(ref: VersionRef): boolean {
    return this.open.get(key(ref))?.preview === true;
  }

  private keep(ref: VersionRef): void {
    const entry = this.open.get(key(ref));
    if (!entry?.preview) return;
    entry.preview = false;
    entry.host.panel.title = `${ref.model} ${versionLabel(ref.version)}`;
  }

  revive(panel: vscode.WebviewPanel, state: unknown): void {
    let ref: VersionRef;
    try {
      ref = parseVersionPanelState(state);
    } catch (err) {
      log().warn(`${VERSION_VIEW_TYPE}: not restoring a panel: ${(err as Error).message}`);
      panel.dispose();
      return;
    }
    this.attach(ref, PanelHost.revive(panel, this.kind(ref), this.extensionUri));
  }

  /** The last message sent to a version's panel (what it shows), if it is open. */
  shown(ref: VersionRef): ToVersionPanel | undefined {
    return this.open.get(key(ref))?.last;
  }

  /** Sends fresh data to the open panels the change concerns (every one without `changed`). */
  async update(changed?: RefreshResult): Promise<void> {
    const concerned = (p: { ref: VersionRef; last?: ToVersionPanel }) =>
      !changed ||
      changed.rebuilt !== undefined ||
      changed.models.includes(p.ref.model) ||
      (p.last?.type === 'version' && p.last.data.run !== undefined && changed.runs.includes(p.last.data.run.id));
    await Promise.all([...this.open.values()].filter(concerned).map((p) => this.send(p.ref)));
  }

  private kind(ref: VersionRef): PanelKind<FromVersionPanel, ToVersionPanel> {
    return {
      viewType: VERSION_VIEW_TYPE,
      title: `${ref.model} ${versionLabel(ref.version)}`,
      bundle: 'version',
      parse: parseFromVersionPanel,
      onMessage: (message) => this.onMessage(ref, message),
    };
  }

  private attach(ref: VersionRef, host: Host): Host {
    this.open.get(key(ref))?.host.dispose();
    this.open.set(key(ref), { ref, host });
    host.onDidDispose(() => {
      if (this.open.get(key(ref))?.host === host) this.open.delete(key(ref));
    });
    return host;
  }

  private async send(ref: VersionRef): Promise<void> {
    const entry = this.open.get(key(ref));
    if (!entry) return;
    let message: ToVersionPanel;
    try {
      const data = versionPanelData(await this.store.get(), ref.model, ref.version);
      message = data ? { type: 'version', v: VERSION_PROTOCOL, data } : { type: 'gone', model: ref.model, version: ref.version };
    } catch (err) {
      message = { type: 'error', message: `Could not read the store: ${(err as Error).message}` };
    }
    entry.last = message;
    await entry.host.post(message);
  }

  private async onMessage(ref: VersionRef, message: FromVersionPanel): Promise<void> {
    switch (message.type) {
      case 'ready':
      case 'refresh':
        return this.send(ref);
      case 'openRun': {
        const run = (await this.store.get()).getVersion(ref.model, ref.version)?.sourceRun;
        if (run) await vscode.commands.executeCommand('mlwb.openRun', run);
        return;
      }
      case 'openFile':
        await vscode.commands.executeCommand('mlwb.openVersionFile', ref);
        return;
      case 'revealFile':
        await vscode.commands.executeCommand('mlwb.revealVersionFile', ref);
        return;
      case 'copyPath':
        await vscode.commands.executeCommand('mlwb.copyVersionPath', ref);
        return;
      case 'setStage':
        this.keep(ref);
        await vscode.commands.executeCommand(STAGE_COMMAND[message.stage], ref);
        return;
      case 'setEvaluationData':
        await vscode.commands.executeCommand('mlwb.setEvaluationData', ref.model);
        return;
      case 'evaluate':
        await vscode.commands.executeCommand('mlwb.evaluateModel', ref);
        return;
      case 'inferSignature':
        await vscode.commands.executeCommand('mlwb.inferSignature', ref);
        return;
    }
  }

  dispose(): void {
    for (const p of [...this.open.values()]) p.host.dispose();
    this.open.clear();
  }
}

const key = (ref: VersionRef) => `${ref.model}@${ref.version}`;
