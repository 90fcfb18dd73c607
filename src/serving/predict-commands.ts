import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Cancelled } from '../platform/commands';
import { log, showError } from '../platform/log';
import type { WorkspaceStore } from '../platform/workspace-store';
import { versionRefOf } from '../registry/model-nodes';
import { defaultPredictionsPath, PredictJob } from './predict-job';
import type { PredictResult } from './serve-lines';
import { agreedSha256, checkServable, isRecord, pythonFor, trustPickle, versionTarget } from './version-target';

export interface PredictOptions {
  input?: string;
  output?: string;
  proba?: boolean;
  chunkRows?: number;
  /** false: no modal questions (pickle warning, replacing the output). */
  confirm?: boolean;
}

export interface PredictOutcome extends PredictResult {
  model: string;
  version: number;
  input: string;
}

/**
 * "Predict on File…": a version and a CSV (the explorer gives the CSV and asks for the version, a
 * version's menu asks for the CSV), run through `python -m mlwb predict` in chunks with a cancellable
 * progress notification; the predictions CSV is written beside the input.
 */
export class PredictJobs implements vscode.Disposable {
  private readonly jobs = new Set<PredictJob>();
  private seq = 0;

  constructor(
    private readonly runnerDir: string,
    private readonly store: WorkspaceStore,
    private readonly state: vscode.Memento,
  ) {}

  /** Jobs still running (tests cancel through them, as the notification's Cancel does). */
  get active(): PredictJob[] {
    return [...this.jobs].filter((j) => j.running);
  }

  async run(target: unknown, second: unknown, third: unknown): Promise<PredictOutcome | undefined> {
    const csvTarget = target instanceof vscode.Uri ? target : undefined;
    const options: PredictOptions = isRecord(third) ? (third as PredictOptions) : isRecord(second) && !(second instanceof vscode.Uri) && !Array.isArray(second) ? (second as PredictOptions) : {};
    const v = await versionTarget(this.store, csvTarget ? undefined : versionRefOf(target) ? target : undefined, 'Predict with which model version?');
    checkServable(v);
    const input = options.input ?? csvTarget?.fsPath ?? (await this.pickCsv(v.model, v.version));
    if (!fs.existsSync(input)) throw new Error(`No file at ${input}`);
    const output = path.resolve(options.output ?? defaultPredictionsPath(input));
    if (path.resolve(input) === output) throw new Error('The predictions file must not be the input file.');
    if (!(await trustPickle(this.state, v, 'Predict', options))) return undefined;
    if (fs.existsSync(output) && options.confirm !== false) {
      const pick = await vscode.window.showWarningMessage(`${path.basename(output)} exists. Replace it?`, { modal: true, detail: 'It is replaced only when the new predictions are complete.' }, 'Replace');
      if (pick !== 'Replace') return undefined;
    }
    const python = await pythonFor();
    const jobId = `predict-${Date.now().toString(36)}-${++this.seq}`;
    const label = `[predict ${v.model} v${v.version}]`;
    const job = await PredictJob.start(
      { python, runnerDir: this.runnerDir, model: v.filePath, sha256: agreedSha256(v), input, output, proba: options.proba, chunkRows: options.chunkRows, jobId, cwd: path.dirname(input) },
      (m) => log().warn(`${label} ${m}`),
    );
    log().info(`${label} ${python} -m mlwb predict --input ${input} --output ${output} (pid ${job.child.pid})`);
    job.on('stderr', (line) => log().info(`${label} ${line}`));
    this.jobs.add(job);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Predicting ${path.basename(input)} with ${v.model} v${v.version}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void job.cancel());
        let shown = 0;
        job.on('progress', (p) => {
          const pct = Math.round(p.fraction * 100);
          progress.report({ message: `${p.rows.toLocaleString('en-US')} rows (${pct}%)`, increment: pct - shown });
          shown = pct;
        });
        return job.finished;
      },
    );
    this.jobs.delete(job);
    log().info(`${label} ${result.status}: ${result.rows} rows${result.durationMs !== undefined ? ` in ${Math.round(result.durationMs)} ms` : ''}${result.error ? `: ${result.error}` : ''}`);
    this.tell(result, input);
    return { ...result, model: v.model, version: v.version, input };
  }

  private tell(r: PredictResult, input: string): void {
    const name = path.basename(input);
    if (r.status === 'done' && r.output) {
      const seconds = r.durationMs !== undefined ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : '';
      const ignored = r.ignoredColumns?.length ? ` Ignored column(s) the model does not use: ${r.ignoredColumns.join(', ')}.` : '';
      const output = r.output;
      void vscode.window.showInformationMessage(`Wrote ${r.rows.toLocaleString('en-US')} predictions to ${path.basename(output)}${seconds}.${ignored}`, 'Open Predictions', 'Reveal').then((pick) => {
        if (pick === 'Open Predictions') return vscode.commands.executeCommand('vscode.open', vscode.Uri.file(output));
        if (pick === 'Reveal') return vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(output));
        return undefined;
      });
    } else if (r.status === 'cancelled') {
      void vscode.window.showInformationMessage(`Prediction on ${name} cancelled after ${r.rows.toLocaleString('en-US')} rows; the partial output was removed.`);
    } else {
      void showError(`Prediction on ${name} failed after ${r.rows.toLocaleString('en-US')} rows: ${r.error ?? `exit code ${r.exitCode}`}`);
    }
  }

  private async pickCsv(model: string, version: number): Promise<string> {
    const picked = await vscode.window.showOpenDialog({
      title: `Predict with ${model} v${version}: which CSV file?`,
      canSelectMany: false,
      filters: { 'CSV files': ['csv'], 'All files': ['*'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      openLabel: 'Predict',
    });
    if (!picked?.[0]) throw new Cancelled();
    return picked[0].fsPath;
  }

  dispose(): void {
    for (const j of this.active) void j.cancel(2000);
    this.jobs.clear();
  }
}
