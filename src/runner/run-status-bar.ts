import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../store';
import type { LaunchedRun, RunManager } from './run-manager';

/** Runs that live elsewhere (Slurm jobs), queued or running, shown next to the local ones. */
export interface ScheduledRuns {
  readonly scheduled: readonly RunSummary[];
  readonly onDidChange: vscode.Event<void>;
}

/** What is running, at a glance: a spinner, the script (or a count) and the latest progress; queued jobs with a clock. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mlwb.running', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly runs: RunManager,
    private readonly elsewhere?: ScheduledRuns,
  ) {
    this.item.name = 'MLOps Workbench: running runs';
    this.item.command = 'mlwb.showRunning';
    this.subscriptions = [runs.onDidChange(() => this.update()), ...(elsewhere ? [elsewhere.onDidChange(() => this.update())] : [])];
  }

  private update(): void {
    const active = this.runs.active;
    const scheduled = this.elsewhere?.scheduled ?? [];
    const total = active.length + scheduled.length;
    if (total === 0) return this.item.hide();
    const queued = scheduled.filter((r) => r.status === 'queued').length;
    const label =
      total === 1
        ? active.length === 1 ? `${path.basename(active[0].spec.script)}${progressText(active[0])}` : `${scheduled[0].name} (Slurm ${scheduled[0].job?.state ?? ''})`
        : `${total} runs${queued ? `, ${queued} queued` : ''}`;
    this.item.text = `${queued === total ? '$(clock)' : '$(sync~spin)'} ${label}`;
    const lines = [
      ...active.map((r) => `- ${path.basename(r.spec.script)} ${r.session.runId ?? '(starting)'}${progressText(r)}`),
      ...scheduled.map((r) => `- ${r.name}: Slurm ${r.job?.id} · ${r.job?.state} (${r.status})`),
    ];
    this.item.tooltip = new vscode.MarkdownString(`**Running**\n\n${lines.join('\n')}\n\nClick to show or cancel.`);
    this.item.accessibilityInformation = { label: `MLOps Workbench: ${total} run${total === 1 ? '' : 's'} running or queued` };
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}

function progressText({ progress: p }: LaunchedRun): string {
  if (!p) return '';
  const amount = p.total ? `${Math.round((100 * p.current) / p.total)}%` : `${p.current}`;
  return ` ${amount}${p.message ? ` ${p.message}` : ''}`;
}
