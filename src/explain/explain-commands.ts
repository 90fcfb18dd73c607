import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Cancelled, registerCommand } from '../platform/commands';
import { log, showError } from '../platform/log';
import { confirmPickleFile } from '../platform/pickle-trust';
import type { WorkspaceStore } from '../platform/workspace-store';
import { optionsOf, versionRefOf } from '../registry/model-nodes';
import { resolveInterpreter } from '../runner/interpreter';
import { runIdOf } from '../runs/run-nodes';
import { runFilePath, type TrackingStore } from '../store';
import type { ExplainPanels } from './explain-panel';
import { launchExplain, type ExplainJob, type ExplainOutcome, type ExplainRequest } from './explain-process';
import {
  csvHeader, explanationPath, fileSubject, isExplainableFile, isPickleLike, likelyTarget, versionSubject, type ExplainSubject,
} from './explain-target';

/** Values a caller (a test, a script) gives so nothing is asked. */
export interface ExplainOptions {
  /** The model file of a run: relative to its files/ directory, or absolute. */
  file: string;
  data: string;
  /** The label column; "" or null: none. */
  target: string | null;
  /** false: skip the pickle warning. */
  confirm: boolean;
  /** false: do not open the panel at the end. */
  open: boolean;
  method: ExplainRequest['method'];
  rows: number;
  background: number;
  nsamples: number;
  top: number;
  seed: number;
}

export interface ExplainResult {
  status: ExplainOutcome['status'];
  path?: string;
  error?: string;
  exitCode?: number;
}

const STAGES: Record<string, [string, number]> = {
  load: ['Loading the model and data', 5],
  shap: ['SHAP values', 60],
  permutation: ['Permutation importance', 20],
  partialDependence: ['Partial dependence', 15],
};


/**
 * Explain Model… (a version, a run, a model file) and Open Explanation: pickers for what is not
 * given, the pickle warning, `python -m mlwb explain` as a background job with a cancellable
 * progress notification, then the panel.
 */
export class ExplainCommands {
  private readonly running = new Set<ExplainJob>();

  constructor(
    private readonly store: WorkspaceStore,
    private readonly panels: ExplainPanels,
    private readonly runnerDir: string,
    private readonly memento: vscode.Memento,
  ) {}

  /** Jobs still running (tests cancel them through this). */
  get active(): ExplainJob[] {
    return [...this.running];
  }

  register(): vscode.Disposable[] {
    return [
      registerCommand('mlwb.explainModel', (target?: unknown, options?: unknown) => this.explain(target, options)),
      registerCommand('mlwb.openExplanation', (target?: unknown) => this.openExplanation(target)),
    ];
  }

  async explain(target: unknown, rawOptions: unknown): Promise<ExplainResult | undefined> {
    const s = await this.store.get();
    const options = optionsOf<ExplainOptions>(rawOptions ?? (target instanceof vscode.Uri ? undefined : target));
    const subject = await this.subjectOf(s, target, true);
    const modelFile = subject.kind === 'run' ? subject.modelFile ?? (await this.runModelFile(s, subject.run, options.file)) : subject.modelFile;
    const data = options.data !== undefined ? path.resolve(this.cwd(), options.data) : await this.pickData(s, subject);
    if (!fs.existsSync(data)) throw new Error(`No data file ${data}.`);
    const column = options.target !== undefined ? options.target || undefined : await this.pickTarget(data);
    const agreed = await this.trusted(modelFile, options.confirm !== false);
    if (agreed === false) throw new Cancelled();

    const python = await resolveInterpreter(vscode.Uri.file(modelFile));
    if (!python) return undefined;
    const storeDir = this.store.directory;
    if (!storeDir) throw new Error('Open a folder first: explanations are stored in the workspace.');
    const request: ExplainRequest = {
      model: modelFile,
      ...(typeof agreed === 'string' ? { sha256: agreed } : {}),
      data,
      target: column,
      ...(subject.kind === 'run' ? { run: subject.run } : { out: subject.outDir }),
      method: options.method,
      rows: options.rows,
      background: options.background,
      nsamples: options.nsamples,
      top: options.top,
      seed: options.seed,
    };
    const cancelGraceMs = Math.max(1, vscode.workspace.getConfiguration('mlwb').get<number>('cancelGraceSeconds', 10)) * 1000;
    const job = await launchExplain(request, {
      python: python.path, runnerDir: this.runnerDir, storeDir, cwd: this.cwd(), cancelGraceMs,
      log: (l) => log().info(l), warn: (l) => log().warn(l),
    });
    this.running.add(job);
    void this.showProgress(job, subject.title);
    const outcome = await job.finished.finally(() => this.running.delete(job));
    return this.finished(subject, outcome, options.open !== false);
  }

  async openExplanation(target: unknown): Promise<string | undefined> {
    const s = await this.store.get();
    if (target instanceof vscode.Uri && path.extname(target.fsPath).toLowerCase() === '.json' && !isExplainableFile(path.basename(target.fsPath))) {
      await this.panels.show(target.fsPath);
      return target.fsPath;
    }
    const subject = target === undefined ? await this.pickExplained(s) : await this.subjectOf(s, target, false);
    if (!subject) return undefined;
    const file = explanationPath(s, subject);
    if (!fs.existsSync(file)) {
      const pick = await vscode.window.showInformationMessage(`${subject.title} has no explanation yet.`, 'Explain Model…');
      if (pick) void vscode.commands.executeCommand('mlwb.explainModel', target);
      return undefined;
    }
    await this.panels.show(file, `Explain: ${subject.title}`);
    return file;
  }

  // -- what to explain ----------------------------------------------------------------------------

  private async subjectOf(s: TrackingStore, target: unknown, forExplain: boolean): Promise<ExplainSubject> {
    if (target instanceof vscode.Uri) return fileSubject(s, target.fsPath);
    const ref = versionRefOf(target);
    if (ref) return versionSubject(s, ref.model, ref.version);
    const run = runIdOf(target) ?? runOfRecord(target);
    if (run !== undefined) {
      const detail = s.getRun(run, { logLimit: 0 });
      if (!detail) throw new Error(`No run "${run}".`);
      return { kind: 'run', run, title: detail.name };
    }
    const picked = await this.pickSubject(s, forExplain);
    if (!picked) throw new Cancelled();
    return picked;
  }

  private async pickSubject(s: TrackingStore, forExplain: boolean): Promise<ExplainSubject | undefined> {
    type Item = vscode.QuickPickItem & { subject?: () => ExplainSubject; browse?: boolean };
    const items: Item[] = s.listModels().flatMap((m) =>
      s.listVersions(m.name).map((v): Item => ({ label: `${m.name} v${v.version}`, description: v.stage === 'none' ? '' : v.stage, detail: v.path, subject: () => versionSubject(s, m.name, v.version) })),
    );
    items.push({ label: '$(folder-opened) Model file…', description: 'a .pkl, .joblib or XGBoost file', browse: true });
    const picked = await vscode.window.showQuickPick(items, { title: forExplain ? 'Explain Model' : 'Open Explanation', placeHolder: 'Which model version?' });
    if (!picked) return undefined;
    if (picked.subject) return picked.subject();
    const file = await vscode.window.showOpenDialog({
      title: 'Explain Model: pick the model file', canSelectMany: false, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri, openLabel: 'Explain',
      filters: { 'Model files': ['pkl', 'pickle', 'joblib', 'json', 'ubj'], 'All files': ['*'] },
    });
    return file?.[0] ? fileSubject(s, file[0].fsPath) : undefined;
  }

  private async pickExplained(s: TrackingStore): Promise<ExplainSubject | undefined> {
    type Item = vscode.QuickPickItem & { subject: ExplainSubject };
    const items: Item[] = [];
    for (const m of s.listModels()) {
      for (const v of s.listVersions(m.name)) {
        const subject = versionSubject(s, m.name, v.version);
        if (fs.existsSync(explanationPath(s, subject))) items.push({ label: subject.title, description: 'model version', subject });
      }
    }
    for (const r of s.listRuns({ limit: 200 }).runs) {
      const subject: ExplainSubject = { kind: 'run', run: r.id, title: r.name };
      if (fs.existsSync(explanationPath(s, subject))) items.push({ label: r.name, description: `run · ${r.experimentName}`, subject });
    }
    if (items.length === 0) {
      void vscode.window.showInformationMessage('No explanations yet: use Explain Model… on a model version, a run or a model file.');
      return undefined;
    }
    return (await vscode.window.showQuickPick(items, { title: 'Open Explanation', placeHolder: 'Which explanation?' }))?.subject;
  }

  private async runModelFile(s: TrackingStore, run: string, given: string | undefined): Promise<string> {
    const inRun = (rel: string) => runFilePath(s.layout, run, rel);
    if (given !== undefined) return path.isAbsolute(given) ? given : inRun(given);
    const files = (s.getRun(run, { logLimit: 0 })?.files ?? []).filter((f) => isExplainableFile(f.path));
    if (files.length === 0) throw new Error(`Run ${s.getRun(run, { logLimit: 0 })?.name ?? run} saved no model file (.pkl, .joblib, XGBoost .json/.ubj) to explain.`);
    if (files.length === 1) return inRun(files[0].path);
    const picked = await vscode.window.showQuickPick(
      files.map((f) => ({ label: f.path, description: f.description })),
      { title: 'Explain Model', placeHolder: 'Which of the run’s model files?' },
    );
    if (!picked) throw new Cancelled();
    return inRun(picked.label);
  }

  // -- the data and its label ---------------------------------------------------------------------

  /** The run's own CSVs (its files, the CSVs its arguments name) first, then the workspace's, then Browse…. */
  private async pickData(s: TrackingStore, subject: ExplainSubject): Promise<string> {
    type Item = vscode.QuickPickItem & { file?: string };
    const items: Item[] = [];
    const seen = new Set<string>();
    const add = (file: string, description: string) => {
      if (seen.has(file) || !fs.existsSync(file)) return;
      seen.add(file);
      items.push({ label: vscode.workspace.asRelativePath(file), description, file });
    };
    const run = subject.kind === 'run' ? subject.run : subject.kind === 'version' ? subject.sourceRun : undefined;
    const detail = run ? s.getRun(run, { logLimit: 0 }) : undefined;
    if (detail && run) {
      for (const f of detail.files.filter((f) => f.path.toLowerCase().endsWith('.csv'))) add(runFilePath(s.layout, run, f.path), 'the run’s file');
      const base = detail.cwd ?? (detail.script?.path ? path.dirname(detail.script.path) : this.cwd());
      for (const a of detail.argv) if (/\.csv$/i.test(a)) add(path.resolve(base, a), 'the run’s argument');
    }
    const found = await vscode.workspace.findFiles('**/*.csv', '**/{node_modules,.git,.mlwb*}/**', 500);
    for (const uri of found.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) add(uri.fsPath, '');
    items.push({ label: '$(folder-opened) Browse…', description: 'a CSV anywhere' });
    const picked = await vscode.window.showQuickPick(items, {
      title: `Explain ${subject.title}: data`,
      placeHolder: 'The rows to explain: a CSV with a header (the model’s feature columns, optionally the label)',
      matchOnDescription: true,
    });
    if (!picked) throw new Cancelled();
    if (picked.file) return picked.file;
    const browsed = await vscode.window.showOpenDialog({ title: 'Explain Model: the data', canSelectMany: false, openLabel: 'Use', filters: { CSV: ['csv'], 'All files': ['*'] } });
    if (!browsed?.[0]) throw new Cancelled();
    return browsed[0].fsPath;
  }

  private async pickTarget(data: string): Promise<string | undefined> {
    const fd = fs.openSync(data, 'r');
    const buf = Buffer.alloc(65536);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    const columns = csvHeader(buf.subarray(0, n).toString('utf8'));
    const likely = likelyTarget(columns);
    const none = { label: '$(circle-slash) No target column', description: 'no permutation importance', column: undefined as string | undefined };
    const items = [
      ...(likely ? [{ label: likely, description: 'looks like the label', column: likely as string | undefined }] : []),
      none,
      ...columns.filter((c) => c !== likely).map((c) => ({ label: c, description: '', column: c as string | undefined })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Target column of ${path.basename(data)}`, placeHolder: 'The label column (left out of the features; enables permutation importance)' });
    if (!picked) throw new Cancelled();
    return picked.column;
  }

  /**
   * Explaining loads the model file in Python: a pickle is asked about first, bound to its sha256 (which
   * Python checks). The agreed hash; true for a file that is not a pickle; false when declined.
   */
  private async trusted(modelFile: string, confirm: boolean): Promise<string | boolean> {
    if (!isPickleLike(modelFile)) return true;
    return (await confirmPickleFile(this.memento, { file: modelFile, what: path.basename(modelFile), action: 'Explain' }, confirm)) ?? false;
  }

  // -- while it runs, and after -------------------------------------------------------------------

  private showProgress(job: ExplainJob, title: string): Thenable<void> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Explaining ${title}`, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => void job.cancel('cancelled from the progress notification'));
      let reported = 0;
      job.onProgress((p) => {
        const order = Object.keys(STAGES);
        const done = order.slice(0, Math.max(0, order.indexOf(p.stage))).reduce((sum, k) => sum + STAGES[k][1], 0);
        const [name, weight] = STAGES[p.stage] ?? [p.stage, 0];
        const pct = done + (p.total > 0 ? (weight * p.current) / p.total : 0);
        progress.report({ message: `${name} ${p.current}/${p.total}`, increment: Math.max(0, pct - reported) });
        reported = Math.max(reported, pct);
      });
      return job.finished.then(() => undefined);
    });
  }

  private async finished(subject: ExplainSubject, outcome: ExplainOutcome, open: boolean): Promise<ExplainResult> {
    const result: ExplainResult = { status: outcome.status, exitCode: outcome.exitCode };
    if (outcome.status === 'completed') {
      const s = await this.store.get();
      result.path = outcome.resultPath ?? explanationPath(s, subject);
      if (subject.kind === 'run') await this.store.refresh().catch(() => undefined);
      if (open) await this.panels.show(result.path, `Explain: ${subject.title}`);
    } else if (outcome.status === 'cancelled') {
      void vscode.window.showInformationMessage(`Explaining ${subject.title} was cancelled; nothing was written.`);
    } else {
      result.error = outcome.error;
      if (outcome.traceback) log().error(outcome.traceback);
      void showError(`Explaining ${subject.title} ${outcome.status === 'failed' ? 'failed' : 'crashed'}: ${outcome.error ?? 'no reason given'}`);
    }
    return result;
  }

  private cwd(): string {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  }

  dispose(): void {
    for (const job of this.running) void job.cancel('VS Code is closing');
  }
}

function runOfRecord(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const r = (x as { run?: unknown }).run;
  if (typeof r === 'string') return r;
  if (typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string') return (r as { id: string }).id;
  return undefined;
}
