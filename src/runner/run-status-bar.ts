import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LaunchedRun, RunManager } from './run-manager';

/** What is running, at a glance: a spinner, the script (or a count) and the latest progress. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mlwb.running', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly runs: RunManager) {
    this.item.name = 'MLOps Workbench: running runs';
    this.item.command = 'mlwb.showRunning';
    this.subscription = runs.onDidChange(() => this.update());
  }

  private update(): void {
    const active = this.runs.active;
    if (active.length === 0) return this.item.hide();
    const first = active[0];
    const label = active.length === 1 ? `${path.basename(first.spec.script)}${progressText(first)}` : `${active.length} runs`;
    this.item.text = `$(sync~spin) ${label}`;
    this.item.tooltip = new vscode.MarkdownString(
      `**Running**\n\n${active.map((r) => `- ${path.basename(r.spec.script)} ${r.session.runId ?? '(starting)'}${progressText(r)}`).join('\n')}\n\nClick to show or cancel.`,
    );
    this.item.accessibilityInformation = { label: `MLOps Workbench: ${active.length} run${active.length === 1 ? '' : 's'} running` };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

function progressText({ progress: p }: LaunchedRun): string {
  if (!p) return '';
  const amount = p.total ? `${Math.round((100 * p.current) / p.total)}%` : `${p.current}`;
  return ` ${amount}${p.message ? ` ${p.message}` : ''}`;
}
