import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Cancelled, registerCommand } from '../platform/commands';
import { log, showError } from '../platform/log';
import { confirmPickleLoad } from '../platform/pickle-trust';
import type { WorkspaceStore } from '../platform/workspace-store';
import { csvHeader, isExplainableFile, isPickleLike, likelyTarget } from '../explain/explain-target';
import { modelNameOf, optionsOf, versionRefOf, type VersionRef } from '../registry/model-nodes';
import { resolveInterpreter } from '../runner/interpreter';
import { runIdOf } from '../runs/run-nodes';
import { runFilePath, type TrackingStore } from '../store';
import {
  comparisonDir, fileEvaluationDir, launchEvaluate, launchSignature, sha256File, versionEvaluationDir,
  type EvaluateModel, type EvaluateRequest, type JobOutcome, type PythonJob,
} from './evaluate-job';
import type { EvaluationPanels } from './evaluation-panel';

/** Values a caller (a test, a script, the promotion gate) gives so nothing is asked. */
export interface EvaluateOptions {
  /** A run's model file: relative to its files/ directory, or absolute. */
  file: string;
  data: string;
  target: string;
  /** false: no pickle question (the caller asked, or a test). */
  confirm: boolean;
  /** false: do not open the panel at the end. */
  open: boolean;
  resamples: number;
  seed: number;
}

export interface EvaluateResult {
  status: JobOutcome['status'];
  path?: string;
  error?: string;
  exitCode?: number;
}

/** What is evaluated: a model file, and where its result goes. */
export interface Subject extends EvaluateModel {
  kind: 'version' | 'run' | 'file';
  version?: VersionRef;
  run?: string;
  out?: string;
  sourceRun?: string;
}

const STAGES: Record<string, string> = {
  load: 'Loading the model and data', predict: 'Predicting', predict_proba: 'Predicting probabilities',
  metrics: 'Metrics', curves: 'Curves', write: 'Writing', compare: 'Comparing',
};

/**
 * Evaluate Model… and Compare Models…: pickers for what is not given, the pickle question (bound to
 * the file's sha256, which the runner then checks), `python -m mlwb evaluate` as a background job
 * with a cancellable progress notification, then the evaluation panel.
 */
export class EvaluateCommands implements vscode.Disposable {
  private readonly running = new Set<PythonJob>();

  constructor(
    private readonly store: WorkspaceStore,
    private readonly panels: EvaluationPanels,
    readonly runnerDir: string,
    private readonly memento: vscode.Memento,
  ) {
    panels.versionOf = (file) => this.versionOfFile(file);
  }

  /** Jobs still running (tests cancel them through this). */
  get active(): PythonJob[] {
    return [...this.running];
  }

  register(): vscode.Disposable[] {
    return [
      registerCommand('mlwb.evaluateModel', (target?: unknown, options?: unknown) => this.evaluate(target, options)),
      registerCommand('mlwb.compareModels', (a?: unknown, b?: unknown, options?: unknown) => this.compare(a, b, options)),
      registerCommand('mlwb.openEvaluation', (target?: unknown) => this.openEvaluation(target)),
      registerCommand('mlwb.setThreshold', (target?: unknown, threshold?: unknown) => this.setThreshold(target, threshold)),
      registerCommand('mlwb.inferSignature', (target?: unknown, options?: unknown) => this.inferSignature(target, options)),
      registerCommand('mlwb.setEvaluationData', (target?: unknown, options?: unknown) => this.setEvaluationData(target, options)),
    ];
  }

  async evaluate(target: unknown, rawOptions: unknown): Promise<EvaluateResult | undefined> {
    const s = await this.store.get();
    const options = optionsOf<EvaluateOptions>(rawOptions ?? (target instanceof vscode.Uri ? undefined : target));
    const subject = await this.subjectOf(s, target, options.file, 'Evaluate Model');
    const pinned = subject.version ? s.listModels().find((m) => m.name === subject.version!.model)?.evaluationData : undefined;
    const data = options.data !== undefined ? path.resolve(this.cwd(), options.data) : await this.pickData(s, subject.title, subject.sourceRun ?? subject.run, pinned?.file);
    if (!fs.existsSync(data)) throw new Error(`No data file ${data}.`);
    const column = options.target ?? (pinned && data === pinned.file && pinned.target ? pinned.target : await this.pickTarget(data));
    if (options.confirm !== false && !(await this.trusted(subject))) throw new Cancelled();
    const request: EvaluateRequest = { models: [subject], data, target: column, ...(subject.run ? { run: subject.run } : { out: subject.out! }) };
    return this.runJob(request, `Evaluating ${subject.title}`, options.open !== false, `Evaluate: ${subject.title}`, [subject.title]);
  }

  /** Compares A with B on one data file (B − A); B defaults to A's model's Production version. */
  async compare(a: unknown, b: unknown, rawOptions: unknown): Promise<EvaluateResult | undefined> {
    const s = await this.store.get();
    const options = optionsOf<EvaluateOptions>(rawOptions);
    const first = await this.subjectOf(s, a, undefined, 'Compare Models');
    let second: Subject;
    if (b !== undefined && b !== null) second = await this.subjectOf(s, b, undefined, 'Compare Models');
    else second = await this.pickOther(s, first);
    // A is the incumbent (Production) when one of them is: deltas then read "the challenger minus Production".
    const [x, y] = second.version && s.getVersion(second.version.model, second.version.version)?.stage === 'production' ? [second, first] : [first, second];
    const data = options.data !== undefined ? path.resolve(this.cwd(), options.data) : await this.pickData(s, `${x.title} vs ${y.title}`, y.sourceRun ?? y.run);
    if (!fs.existsSync(data)) throw new Error(`No data file ${data}.`);
    const column = options.target ?? (await this.pickTarget(data));
    if (options.confirm !== false && !((await this.trusted(x)) && (await this.trusted(y)))) throw new Cancelled();
    const root = this.storeRoot(s);
    const request: EvaluateRequest = {
      models: [x, y], data, target: column, out: comparisonDir(root, x, y, data),
      ...(options.resamples !== undefined ? { resamples: options.resamples } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}),
    };
    return this.runJob(request, `Comparing ${x.title} with ${y.title}`, options.open !== false, `Compare: ${x.title} vs ${y.title}`, [`A: ${x.title}`, `B: ${y.title}`]);
  }

  /**
   * Set Evaluation Data…: pins the CSV (path + sha256) and its target column the promotion gate evaluates
   * on; `{ data: null }` (or "Unpin" in the picker) unpins it. Each change is a registry journal record.
   */
  async setEvaluationData(target: unknown, rawOptions: unknown): Promise<{ model: string; data: string | null; target?: string } | undefined> {
    const s = await this.store.get();
    const model = modelNameOf(target) ?? (await this.pickModel(s));
    if (!model) throw new Cancelled();
    const current = s.listModels().find((m) => m.name === model);
    if (!current) throw new Error(`No model "${model}".`);
    const options = optionsOf<{ data: string | null; target: string }>(rawOptions ?? (typeof target === 'object' && !(target instanceof vscode.Uri) ? target : undefined));
    let data: string | null;
    if (options.data === null) data = null;
    else if (typeof options.data === 'string') data = path.resolve(this.cwd(), options.data);
    else {
      if (current.evaluationData) {
        const keep = await vscode.window.showQuickPick([{ label: 'Pick another CSV…', value: 'pick' }, { label: '$(close) Unpin', description: current.evaluationData.path, value: 'unpin' }], { title: `Evaluation data of ${model}` });
        if (!keep) throw new Cancelled();
        if (keep.value === 'unpin') data = null;
        else data = await this.pickData(s, `Evaluation data of ${model}`, undefined);
      } else data = await this.pickData(s, `Evaluation data of ${model}`, undefined);
    }
    if (data !== null && !fs.existsSync(data)) throw new Error(`No data file ${data}.`);
    const column = data === null ? undefined : options.target ?? (await this.pickTarget(data));
    if (data !== null && column !== undefined && !readHeader(data).includes(column)) throw new Error(`${path.basename(data)} has no column "${column}".`);
    await this.store.edit((st) => st.setEvaluationData(model, data === null ? null : { file: data, target: column }), { models: [model] });
    void vscode.window.showInformationMessage(data === null ? `Unpinned the evaluation data of ${model}.` : `Pinned ${vscode.workspace.asRelativePath(data)} (target ${column}) as the evaluation data of ${model}: the promotion gate evaluates on it.`);
    return { model, data, ...(column ? { target: column } : {}) };
  }

  /**
   * Infer Signature: the version's input columns (names, types, nullability, categories seen) from a CSV — the
   * model's pinned evaluation data unless another is given — recorded with the version (`version.signature`).
   */
  async inferSignature(target: unknown, rawOptions: unknown): Promise<{ columns: unknown[]; source: string } | undefined> {
    const s = await this.store.get();
    const ref = versionRefOf(target) ?? (await this.pickSubject(s, 'Infer Signature'))?.version;
    if (!ref) throw new Cancelled();
    const v = s.getVersion(ref.model, ref.version);
    if (!v) throw new Error(`No version v${ref.version} of model "${ref.model}".`);
    const options = optionsOf<{ data: string; target: string }>(rawOptions ?? (typeof target === 'object' ? target : undefined));
    const pinned = s.listModels().find((m) => m.name === ref.model)?.evaluationData;
    const data = options.data !== undefined ? path.resolve(this.cwd(), options.data) : pinned && fs.existsSync(pinned.file) ? pinned.file : await this.pickData(s, `Signature of ${ref.model} v${ref.version}`, v.sourceRun);
    const column = options.target ?? (pinned && data === pinned.file ? pinned.target : undefined) ?? (await this.pickTarget(data));
    const python = await resolveInterpreter(vscode.Uri.file(data));
    if (!python) return undefined;
    const job = launchSignature({ data, target: column }, { python: python.path, runnerDir: this.runnerDir, storeDir: s.layout.root, cwd: this.cwd(), log: (l) => log().info(l) });
    const outcome = await job.finished;
    const columns = outcome.result?.columns;
    if (outcome.status !== 'completed' || !Array.isArray(columns)) throw new Error(`Could not infer the signature from ${path.basename(data)}: ${outcome.error ?? outcome.status}`);
    const source = `evaluation data ${vscode.workspace.asRelativePath(data)}`;
    await this.store.edit((st) => st.setSignature(ref.model, ref.version, columns as never, source), { models: [ref.model] });
    void vscode.window.showInformationMessage(`Recorded the signature of ${ref.model} v${ref.version}: ${columns.length} input columns from ${path.basename(data)}.`);
    return { columns, source };
  }

  /** The registered version whose evaluation directory holds `file` (its evaluation.json), if any. */
  async versionOfFile(file: string): Promise<{ model: string; version: number; threshold?: number } | undefined> {
    const s = await this.store.get();
    const dir = path.dirname(path.resolve(file));
    for (const m of s.listModels()) {
      for (const v of s.listVersions(m.name)) {
        if (versionEvaluationDir(path.resolve(s.layout.root, v.path)) === dir) return { model: m.name, version: v.version, ...(v.threshold !== undefined ? { threshold: v.threshold } : {}) };
      }
    }
    return undefined;
  }

  /**
   * Set Decision Threshold…: a binary classifier version's threshold on P(positive), saved with it
   * (`version.threshold`) and used when it is served. Target: a version, or its evaluation.json (the panel's
   * button); the value asked for defaults to the evaluation's best-F1 threshold; "" clears it.
   */
  async setThreshold(target: unknown, raw: unknown): Promise<number | null | undefined> {
    const s = await this.store.get();
    const ref = versionRefOf(target) ?? (typeof target === 'string' && target.endsWith('.json') ? await this.versionOfFile(target) : undefined) ?? (await this.pickSubject(s, 'Set Decision Threshold'))?.version;
    if (!ref) throw new Cancelled();
    const v = s.getVersion(ref.model, ref.version);
    if (!v) throw new Error(`No version v${ref.version} of model "${ref.model}".`);
    let threshold: number | null;
    if (typeof raw === 'number') threshold = raw;
    else if (raw === null) threshold = null;
    else {
      let best: number | undefined;
      try {
        best = JSON.parse(fs.readFileSync(path.join(versionEvaluationDir(v.filePath), 'evaluation.json'), 'utf8'))?.threshold?.best_f1_threshold;
      } catch {
        best = undefined;
      }
      const text = await vscode.window.showInputBox({
        title: `Decision threshold of ${ref.model} v${ref.version}`,
        prompt: 'Serve predicts the positive class when P(positive) ≥ this. Empty clears it.',
        value: String(v.threshold ?? best ?? 0.5),
        validateInput: (t) => (t.trim() === '' || (Number(t) >= 0 && Number(t) <= 1) ? undefined : 'A probability between 0 and 1'),
      });
      if (text === undefined) throw new Cancelled();
      threshold = text.trim() === '' ? null : Number(text);
    }
    await this.store.edit((st) => st.setThreshold(ref.model, ref.version, threshold), { models: [ref.model] });
    void vscode.window.showInformationMessage(threshold === null ? `Cleared the decision threshold of ${ref.model} v${ref.version}.` : `${ref.model} v${ref.version} now predicts the positive class at P ≥ ${threshold} when served.`);
    return threshold;
  }

  private async pickModel(s: TrackingStore): Promise<string | undefined> {
    const models = s.listModels();
    if (models.length === 0) throw new Error('No registered models yet.');
    return (await vscode.window.showQuickPick(models.map((m) => ({ label: m.name, description: m.evaluationData ? `evaluation data: ${m.evaluationData.path}` : '' })), { title: 'Which model?' }))?.label;
  }

  async openEvaluation(target: unknown): Promise<string | undefined> {
    let file: string | undefined;
    if (target instanceof vscode.Uri) file = target.fsPath;
    else if (typeof target === 'string') file = target;
    else {
      const s = await this.store.get();
      const ref = versionRefOf(target);
      if (ref) {
        const v = s.getVersion(ref.model, ref.version);
        if (v) file = path.join(versionEvaluationDir(v.filePath), 'evaluation.json');
      }
    }
    if (!file) {
      const picked = await vscode.window.showOpenDialog({ title: 'Open Evaluation', canSelectMany: false, filters: { 'Evaluation files': ['json'] } });
      file = picked?.[0]?.fsPath;
      if (!file) return undefined;
    }
    if (!fs.existsSync(file)) {
      void vscode.window.showInformationMessage(`No evaluation yet (${file}): use Evaluate Model… first.`);
      return undefined;
    }
    await this.panels.show(file);
    return file;
  }

  /** Runs one evaluate job to its end, with the progress notification; the panel opens on success. */
  async runJob(request: EvaluateRequest, progressTitle: string, open: boolean, panelTitle: string, names: [string, string?]): Promise<EvaluateResult | undefined> {
    const python = await resolveInterpreter(vscode.Uri.file(request.models[0].file));
    if (!python) return undefined;
    const s = await this.store.get();
    const job = launchEvaluate(request, { python: python.path, runnerDir: this.runnerDir, storeDir: this.storeRoot(s), cwd: this.cwd(), log: (l) => log().info(l) });
    this.running.add(job);
    void this.showProgress(job, progressTitle);
    const outcome = await job.finished.finally(() => this.running.delete(job));
    const result: EvaluateResult = { status: outcome.status, exitCode: outcome.exitCode };
    if (outcome.status === 'completed') {
      result.path = outcome.resultPath;
      if (request.run) await this.store.refresh().catch(() => undefined);
      if (open && result.path) await this.panels.show(result.path, panelTitle, names);
    } else if (outcome.status === 'cancelled') {
      void vscode.window.showInformationMessage(`${progressTitle} was cancelled; nothing was written.`);
    } else {
      result.error = outcome.error;
      void showError(`${progressTitle} ${outcome.status === 'failed' ? 'failed' : 'crashed'}: ${outcome.error ?? 'no reason given'}`);
    }
    return result;
  }

  showProgress(job: PythonJob, title: string): Thenable<void> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => job.cancel());
      job.onProgress((p) => {
        const [side, stage] = p.stage.includes(':') ? p.stage.split(':', 2) : ['', p.stage];
        progress.report({ message: `${side ? `${side.toUpperCase()}: ` : ''}${STAGES[stage] ?? stage} ${p.current}/${p.total}` });
      });
      return job.finished.then(() => undefined);
    });
  }

  // -- what is evaluated --------------------------------------------------------------------------

  async subjectOf(s: TrackingStore, target: unknown, file: string | undefined, title: string): Promise<Subject> {
    if (target instanceof vscode.Uri) return this.fileSubject(s, target.fsPath);
    if (typeof target === 'string' && !versionRefOf(target) && fs.existsSync(target)) return this.fileSubject(s, target);
    const ref = versionRefOf(target);
    if (ref) return versionSubject(s, ref);
    const run = runIdOf(target);
    if (run !== undefined) return this.runSubject(s, run, file);
    const picked = await this.pickSubject(s, title);
    if (!picked) throw new Cancelled();
    return picked;
  }

  private async fileSubject(s: TrackingStore, file: string): Promise<Subject> {
    const abs = path.resolve(file);
    for (const m of s.listModels()) {
      for (const v of s.listVersions(m.name)) if (path.resolve(s.layout.root, v.path) === abs) return versionSubject(s, { model: m.name, version: v.version });
    }
    const runs = path.join(s.layout.root, 'runs') + path.sep;
    if (abs.startsWith(runs)) {
      const [run, files] = abs.slice(runs.length).split(path.sep);
      const detail = run && files === 'files' ? s.getRun(run, { logLimit: 0 }) : undefined;
      if (detail) return { kind: 'run', run, file: abs, sha256: await sha256File(abs), title: `${detail.name}/${path.basename(abs)}` };
    }
    if (!fs.existsSync(abs)) throw new Error(`No model file ${abs}.`);
    return { kind: 'file', file: abs, sha256: await sha256File(abs), title: path.basename(abs), out: fileEvaluationDir(this.storeRoot(s), abs) };
  }

  private async runSubject(s: TrackingStore, run: string, given: string | undefined): Promise<Subject> {
    const detail = s.getRun(run, { logLimit: 0 });
    if (!detail) throw new Error(`No run "${run}".`);
    const inRun = (rel: string) => runFilePath(s.layout, run, rel);
    let file: string;
    if (given !== undefined) file = path.isAbsolute(given) ? given : inRun(given);
    else {
      const files = detail.files.filter((f) => isExplainableFile(f.path) && !f.path.startsWith('evaluation/'));
      if (files.length === 0) throw new Error(`Run ${detail.name} saved no model file (.pkl, .joblib, XGBoost .json/.ubj) to evaluate.`);
      const picked = files.length === 1 ? files[0] : await vscode.window.showQuickPick(files.map((f) => ({ label: f.path, description: f.description, ...f })), { title: 'Evaluate Model', placeHolder: 'Which of the run’s model files?' });
      if (!picked) throw new Cancelled();
      file = inRun(picked.path);
    }
    if (!fs.existsSync(file)) throw new Error(`No model file ${file}.`);
    return { kind: 'run', run, file, sha256: await sha256File(file), title: `${detail.name}/${path.basename(file)}` };
  }

  private async pickSubject(s: TrackingStore, title: string): Promise<Subject | undefined> {
    type Item = vscode.QuickPickItem & { ref?: VersionRef };
    const items: Item[] = s.listModels().flatMap((m) =>
      s.listVersions(m.name).map((v): Item => ({ label: `${m.name} v${v.version}`, description: v.stage === 'none' ? '' : v.stage, ref: { model: m.name, version: v.version } })),
    );
    items.push({ label: '$(folder-opened) Model file…', description: 'a .pkl, .joblib or XGBoost file' });
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Which model?' });
    if (!picked) return undefined;
    if (picked.ref) return versionSubject(s, picked.ref);
    const file = await vscode.window.showOpenDialog({
      title: `${title}: the model file`, canSelectMany: false, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri, openLabel: 'Evaluate',
      filters: { 'Model files': ['pkl', 'pickle', 'joblib', 'json', 'ubj'], 'All files': ['*'] },
    });
    return file?.[0] ? this.fileSubject(s, file[0].fsPath) : undefined;
  }

  private async pickOther(s: TrackingStore, first: Subject): Promise<Subject> {
    type Item = vscode.QuickPickItem & { ref: VersionRef };
    const items: Item[] = [];
    for (const m of s.listModels()) {
      for (const v of s.listVersions(m.name)) {
        if (first.version && m.name === first.version.model && v.version === first.version.version) continue;
        const item = { label: `${m.name} v${v.version}`, description: v.stage === 'none' ? '' : v.stage, ref: { model: m.name, version: v.version } };
        // The model's Production version first: the usual question is "better than what is live?"
        if (first.version && m.name === first.version.model && v.stage === 'production') items.unshift(item);
        else items.push(item);
      }
    }
    if (items.length === 0) throw new Error('Register another version to compare with.');
    const picked = await vscode.window.showQuickPick(items, { title: `Compare ${first.title} with…`, placeHolder: 'The other model version (same data, same rows)' });
    if (!picked) throw new Cancelled();
    return versionSubject(s, picked.ref);
  }

  // -- the data and its label ---------------------------------------------------------------------

  /** The source run's CSVs first, then the workspace's, then Browse…. */
  async pickData(s: TrackingStore, title: string, run: string | undefined, pinned?: string): Promise<string> {
    type Item = vscode.QuickPickItem & { file?: string };
    const items: Item[] = [];
    const seen = new Set<string>();
    const add = (file: string, description: string) => {
      if (seen.has(file) || !fs.existsSync(file)) return;
      seen.add(file);
      items.push({ label: vscode.workspace.asRelativePath(file), description, file });
    };
    if (pinned) add(pinned, 'the model’s pinned evaluation data');
    const detail = run ? s.getRun(run, { logLimit: 0 }) : undefined;
    if (detail && run) {
      for (const f of detail.files.filter((f) => f.path.toLowerCase().endsWith('.csv') && !f.path.startsWith('evaluation/'))) add(runFilePath(s.layout, run, f.path), 'the run’s file');
      const base = detail.cwd ?? (detail.script?.path ? path.dirname(detail.script.path) : this.cwd());
      for (const a of detail.argv) if (/\.csv$/i.test(a)) add(path.resolve(base, a), 'the run’s argument');
    }
    const found = await vscode.workspace.findFiles('**/*.csv', '**/{node_modules,.git,.mlwb*}/**', 500);
    for (const uri of found.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) add(uri.fsPath, '');
    items.push({ label: '$(folder-opened) Browse…', description: 'a CSV anywhere' });
    const picked = await vscode.window.showQuickPick(items, {
      title: `${title}: data`,
      placeHolder: 'Labelled rows: a CSV with a header (the model’s feature columns and the target)',
      matchOnDescription: true,
    });
    if (!picked) throw new Cancelled();
    if (picked.file) return picked.file;
    const browsed = await vscode.window.showOpenDialog({ title: `${title}: the data`, canSelectMany: false, openLabel: 'Use', filters: { CSV: ['csv'], 'All files': ['*'] } });
    if (!browsed?.[0]) throw new Cancelled();
    return browsed[0].fsPath;
  }

  async pickTarget(data: string): Promise<string> {
    const columns = readHeader(data);
    if (columns.length < 2) throw new Error(`${path.basename(data)} has ${columns.length} column(s): an evaluation needs feature columns and a target.`);
    const likely = likelyTarget(columns);
    const items = [
      ...(likely ? [{ label: likely, description: 'looks like the label' }] : []),
      ...columns.filter((c) => c !== likely).map((c) => ({ label: c, description: '' })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Target column of ${path.basename(data)}`, placeHolder: 'The label column (the true values the predictions are scored against)' });
    if (!picked) throw new Cancelled();
    return picked.label;
  }

  /** Evaluating loads the model file in Python: a pickle is asked about first, once per file and hash. */
  async trusted(subject: EvaluateModel & { sourceRun?: string }): Promise<boolean> {
    if (!isPickleLike(subject.file)) return true;
    return confirmPickleLoad(this.memento, {
      file: subject.file, sha256: subject.sha256, what: subject.title, action: 'Evaluate',
      origin: subject.sourceRun ? `It was registered from run ${subject.sourceRun}.` : undefined,
    });
  }

  private storeRoot(s: TrackingStore): string {
    return s.layout.root;
  }

  private cwd(): string {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  }

  dispose(): void {
    for (const job of this.running) job.cancel();
  }
}

export function versionSubject(s: TrackingStore, ref: VersionRef): Subject {
  const v = s.getVersion(ref.model, ref.version);
  if (!v) throw new Error(`No version v${ref.version} of model "${ref.model}".`);
  if (v.fileMissing) throw new Error(`The file of ${ref.model} v${ref.version} is missing (${v.filePath}).`);
  if (!v.sha256) throw new Error(`${ref.model} v${ref.version} has no recorded sha256.`);
  return { kind: 'version', version: ref, file: v.filePath, sha256: v.sha256, title: `${ref.model} v${ref.version}`, out: versionEvaluationDir(v.filePath), sourceRun: v.sourceRun };
}

export function readHeader(data: string): string[] {
  const fd = fs.openSync(data, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return csvHeader(buf.subarray(0, n).toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}
