import * as vscode from 'vscode';
import type { ServerManager } from './server-manager';

/** "$(radio-tower) iris v3 :8080" or "$(radio-tower) 2 servers"; a dead server shows in error colours. Click: servers' quick pick. */
export class ServingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mlwb.serving', vscode.StatusBarAlignment.Left, 49);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly servers: ServerManager) {
    this.item.name = 'MLOps Workbench: model servers';
    this.item.command = 'mlwb.showServers';
    this.subscription = servers.onDidChange(() => this.update());
  }

  private update(): void {
    const all = this.servers.servers;
    if (all.length === 0) return this.item.hide();
    const running = all.filter((s) => s.state === 'running');
    const dead = all.filter((s) => s.state === 'died');
    const only = all.length === 1 ? all[0] : undefined;
    const label = only ? `${only.model} v${only.version}${only.ready && only.state === 'running' ? ` :${only.ready.port}` : ` (${only.state})`}` : `${running.length} server${running.length === 1 ? '' : 's'}`;
    this.item.text = `$(${dead.length ? 'error' : 'radio-tower'}) ${label}${!only && dead.length ? `, ${dead.length} died` : ''}`;
    this.item.backgroundColor = dead.length ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const md = new vscode.MarkdownString('**Model servers**\n\n');
    for (const s of all) md.appendMarkdown(`- ${s.model} v${s.version}: ${s.state}${s.ready ? ` — ${s.ready.url}` : ''}\n`);
    md.appendMarkdown('\nClick to open a panel, copy a URL or stop a server.');
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `MLOps Workbench: ${running.length} model server${running.length === 1 ? '' : 's'} running${dead.length ? `, ${dead.length} died` : ''}` };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
