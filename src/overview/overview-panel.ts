import * as vscode from 'vscode';
import type { PanelKind } from '../platform/webview-panel';
import { PanelHost } from '../platform/webview-panel';
import { OVERVIEW_PROTOCOL, parseFromOverview, type FromOverview, type OverviewData, type ToOverview } from './contract';

export const OVERVIEW_VIEW_TYPE = 'mlwb.overview';

/** The overview panel: one per window, refreshed when the store changes, restored after a reload. */
export class OverviewPanel implements vscode.Disposable {
  private host: PanelHost<FromOverview, ToOverview> | undefined;
  private readonly kind: PanelKind<FromOverview, ToOverview>;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly collect: () => Promise<OverviewData>,
  ) {
    this.kind = {
      viewType: OVERVIEW_VIEW_TYPE,
      title: 'MLOps Overview',
      bundle: 'overview',
      parse: parseFromOverview,
      onMessage: (message) => this.onMessage(message),
    };
  }

  show(): void {
    if (this.host) return this.host.panel.reveal();
    this.attach(PanelHost.open(this.kind, this.extensionUri));
  }

  revive(panel: vscode.WebviewPanel): void {
    this.attach(PanelHost.revive(panel, this.kind, this.extensionUri));
  }

  /** Sends fresh data if the panel is open. */
  async update(): Promise<void> {
    if (!this.host) return;
    try {
      await this.host.post({ type: 'overview', v: OVERVIEW_PROTOCOL, data: await this.collect() });
    } catch (err) {
      await this.host?.post({ type: 'error', message: `Could not read the store: ${(err as Error).message}` });
    }
  }

  private attach(host: PanelHost<FromOverview, ToOverview>): void {
    this.host = host;
    host.onDidDispose(() => (this.host = undefined));
  }

  private async onMessage(message: FromOverview): Promise<void> {
    switch (message.type) {
      case 'ready':
      case 'refresh':
        return this.update();
      case 'showRuns':
        await vscode.commands.executeCommand('mlwb.runs.focus');
        return;
    }
  }

  dispose(): void {
    this.host?.dispose();
  }
}
