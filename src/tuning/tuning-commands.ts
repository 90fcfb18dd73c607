import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceStore } from '../platform/workspace-store';
import { MODEL_FILE_EXTENSIONS } from '../registry/register-model';
import { resolveInterpreter } from '../runner/interpreter';
import type { LaunchSpec } from '../runner/launch-spec';
import type { RunCommands } from '../runner/run-commands';
import type { LaunchedRun, RunManager } from '../runner/run-manager';
import { runIdOf } from '../runs/run-nodes';
import type { RunSummary, TrackingStore } from '../store';
import type { TuningStudy } from './model';
import { TuningPanels, type TuningPanel } from './panel/tuning-panel';
import { formatValue } from './panel/plot-data';
import { readStudyFile } from './study-files';
import {
  generatedSpec, isTuneSpecFile, needsSpec, PRUNERS, SAMPLERS, scriptKind, starterSpec, trainedFrom, trainPlan, tuneRunnerArgs, type TuneOptions,
} from './tune-launch';

/** What `mlwb.tune` takes from scripts and tests (a Uri from menus). Options given are not asked for. */
export interface TuneRequest {
  uri?: vscode.Uri | string;
  /** Tune with this spec (the file itself when `uri` is a spec). */
  spec?: string;
  options?: TuneOptions;
  /** Open the live tuning panel once the run starts (default true). */
  openPanel?: boolean;
}

const SAMPLER_DETAIL: Record<string, string> = {
  auto: 'TPE with optuna (NSGA-II for several objectives); the built-in random sampler without it',
  tpe: 'Tree-structured Parzen Estimator (optuna; random without it)',
  random: 'Independent uniform sampling (built in, no optuna needed)',
  grid: 'Every combination (built in; float ranges need a step)',
  cmaes: 'CMA-ES (optuna, single objective; random without it)',
  nsga2: 'NSGA-II genetic algorithm (optuna, multi-objective)',
};

/**
 * The tuning commands: launch `python -m mlwb tune` in a terminal (like Run does), stop it, open sessions and
 * optuna study files in the tuning panel, retrain with the best params and register the resulting model.
 */
export class TuningCommands implements vscode.Disposable {
  readonly panels: TuningPanels;

  constructor(
    extensionUri: vscode.Uri,
    private readonly store: WorkspaceStore,
    private readonly runner: RunManager,
    private readonly runCommands: RunCommands,
  ) {
    const wasm = vscode.Uri.joinPath(extensionUri, 'dist', 'sql-wasm.wasm').fsPath;
    this.panels = new TuningPanels(extensionUri, store, {
      stop: (study, now) => this.stop(study, { now }),
      trainBest: (study) => this.trainWithBestParams(study),
      registerBest: (study) => this.registerBestModel(study),
      readStudyFile: (file) => readStudyFile(file, wasm),
    });
    this.wasm = wasm;
  }

  private readonly wasm: string;

  // -- Tune Hyperparameters… -----------------------------------------------------------------------

  async tune(arg?: vscode.Uri | TuneRequest): Promise<LaunchedRun | undefined> {
    const req: TuneRequest = arg instanceof vscode.Uri ? { uri: arg } : (arg ?? {});
    const given = req.uri === undefined ? vscode.window.activeTextEditor?.document.uri : typeof req.uri === 'string' ? vscode.Uri.file(req.uri) : req.uri;
    const save = (uri: vscode.Uri) => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && d.isDirty)?.save();
    if (given?.scheme === 'file' && given.fsPath.endsWith('.py')) {
      await save(given);
      return this.tuneScript(given, req);
    }
    const spec = req.spec ? vscode.Uri.file(req.spec) : given?.scheme === 'file' && isTuneSpecFile(given.fsPath) ? given : undefined;
    if (!spec) {
      void vscode.window.showWarningMessage('Open a Python training file (with an objective function) or a *.tune.json / *.tune.yaml spec to tune.');
      return undefined;
    }
    await save(spec);
    return this.launchTune(tuneRunnerArgs({ spec: spec.fsPath }, req.options ?? {}), spec, req.openPanel);
  }

  private async tuneScript(script: vscode.Uri, req: TuneRequest): Promise<LaunchedRun | undefined> {
    const kind = scriptKind(fs.readFileSync(script.fsPath, 'utf8'));
    const name = path.basename(script.fsPath);
    if (kind === 'optuna') {
      const go = await vscode.window.showInformationMessage(
        `${name} runs its own optuna study: run it as usual and every trial is captured into a tuning session.`, 'Run It',
      );
      return go ? this.runCommands.runCurrentFile({ uri: script }) : undefined;
    }
    if (kind === 'none') {
      const pick = await vscode.window.showWarningMessage(
        `${name} has no objective to tune: define def objective(trial): … using trial.suggest_float/int/categorical (or mark one with @tune.objective), or tune a scikit-learn model from a spec file.`,
        'Create Spec File',
      );
      if (pick) await this.createSpec(script);
      return undefined;
    }
    if (req.options || req.spec) return this.launchScript(script, req.spec, req.options ?? {}, req.openPanel);
    const specs = await this.specsFor(script);
    type Item = vscode.QuickPickItem & { run: () => Promise<LaunchedRun | undefined> };
    const items: Item[] = [
      { label: '$(play) Tune with the script’s defaults', detail: 'its @tune.objective options, else TPE and 20 trials', run: () => this.launchScript(script, undefined, {}) },
      {
        label: '$(settings-gear) Choose sampler, trials, timeout, direction…', detail: 'then pruning and parallel workers',
        run: async () => {
          const options = await this.askOptions();
          return options ? this.launchScript(script, undefined, options) : undefined;
        },
      },
      ...specs.map((s) => ({
        label: `$(json) ${vscode.workspace.asRelativePath(s)}`, description: 'spec file', run: () => this.launchScript(script, s.fsPath, {}),
      })),
      { label: '$(new-file) Create a spec file for this script…', detail: 'JSON with completion and validation: space, sampler, budget, CV folds, scoring', run: async () => (await this.createSpec(script), undefined) },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Tune ${name}` });
    return picked?.run();
  }

  private async launchScript(script: vscode.Uri, spec: string | undefined, options: TuneOptions, openPanel?: boolean): Promise<LaunchedRun | undefined> {
    if (!spec && needsSpec(options)) {
      const dir = this.store.directory;
      if (!dir) throw new Error('Open a folder first: tuning sessions are stored in the workspace.');
      const specsDir = path.join(dir, 'tuning-specs');
      fs.mkdirSync(specsDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
      const file = path.join(specsDir, `${path.basename(script.fsPath, '.py')}-${stamp}.tune.json`);
      fs.writeFileSync(file, `${JSON.stringify(generatedSpec(script.fsPath, options), null, 2)}\n`);
      const { direction: _d, pruner: _p, cv: _c, scoring: _s, ...rest } = options;
      return this.launchTune(tuneRunnerArgs({ spec: file, script: script.fsPath }, rest), script, openPanel);
    }
    return this.launchTune(tuneRunnerArgs({ spec, script: script.fsPath }, options), script, openPanel);
  }

  /** Starts `python -m mlwb tune …` in a terminal, tracked like any run; opens the live panel once it starts. */
  async launchTune(runnerArgs: string[], label: vscode.Uri, openPanel = true): Promise<LaunchedRun | undefined> {
    const python = await resolveInterpreter(label);
    if (!python) return undefined;
    const cwd = vscode.workspace.getWorkspaceFolder(label)?.uri.fsPath ?? path.dirname(label.fsPath);
    const spec: LaunchSpec = {
      script: label.fsPath, args: [], cwd, python: python.path, env: this.runCommands.dotenv(label),
      subcommand: 'tune', runnerArgs,
    };
    const launched = await this.runner.launch(spec);
    if (openPanel) {
      launched.started.then(
        (runId) => this.panels.open({ kind: 'run', runId }),
        () => undefined,
      );
    }
    return launched;
  }

  private async askOptions(): Promise<TuneOptions | undefined> {
    const sampler = await vscode.window.showQuickPick(
      SAMPLERS.map((s) => ({ label: s, detail: SAMPLER_DETAIL[s] })),
      { title: 'Tune: sampler (1/6)', placeHolder: 'auto: TPE when optuna is installed' },
    );
    if (!sampler) return undefined;
    const int = (v: string, min: number) => (v.trim() === '' || (Number.isInteger(Number(v)) && Number(v) >= min) ? undefined : `a whole number ≥ ${min}`);
    const trials = await vscode.window.showInputBox({ title: 'Tune: number of trials (2/6)', value: '20', validateInput: (v) => int(v, 1) });
    if (trials === undefined) return undefined;
    const timeout = await vscode.window.showInputBox({
      title: 'Tune: timeout in seconds (3/6)', prompt: 'No new trial starts after it; empty: no timeout', value: '',
      validateInput: (v) => (v.trim() === '' || Number(v) > 0 ? undefined : 'a positive number of seconds'),
    });
    if (timeout === undefined) return undefined;
    const direction = await vscode.window.showQuickPick(
      [
        { label: 'from the script', detail: 'its @tune.objective(direction=…), else minimize', value: undefined },
        { label: 'maximize', detail: 'accuracy, F1, AUC, R²…', value: 'maximize' as const },
        { label: 'minimize', detail: 'loss, error…', value: 'minimize' as const },
      ],
      { title: 'Tune: direction (4/6)' },
    );
    if (!direction) return undefined;
    const pruner = await vscode.window.showQuickPick(
      PRUNERS.map((p) => ({ label: p, detail: p === 'median' ? 'prune a trial whose intermediate value is worse than the median of earlier trials at that step' : p === 'none' ? 'never prune' : 'optuna only' })),
      { title: 'Tune: pruning on intermediate values, trial.report() (5/6)' },
    );
    if (!pruner) return undefined;
    const jobs = await vscode.window.showInputBox({ title: 'Tune: parallel workers (6/6)', value: '1', validateInput: (v) => int(v, 1) });
    if (jobs === undefined) return undefined;
    return {
      sampler: sampler.label as TuneOptions['sampler'],
      ...(trials.trim() ? { nTrials: Number(trials) } : {}),
      ...(timeout.trim() ? { timeout: Number(timeout) } : {}),
      ...(direction.value ? { direction: direction.value } : {}),
      pruner: pruner.label as TuneOptions['pruner'],
      ...(jobs.trim() ? { nJobs: Number(jobs) } : {}),
    };
  }

  /** Spec files of the workspace whose `script` is this file. */
  private async specsFor(script: vscode.Uri): Promise<vscode.Uri[]> {
    const found = await vscode.workspace.findFiles('**/*.tune.{json,yaml,yml}', '**/{node_modules,.mlwb}/**', 50);
    return found.filter((f) => {
      try {
        const text = fs.readFileSync(f.fsPath, 'utf8');
        const m = /["']?script["']?\s*:\s*["']?([^"'\n,}]+)/.exec(text);
        return m !== null && path.resolve(path.dirname(f.fsPath), m[1].trim()) === script.fsPath;
      } catch {
        return false;
      }
    });
  }

  private async createSpec(script: vscode.Uri): Promise<vscode.Uri> {
    const dir = path.dirname(script.fsPath);
    let file = path.join(dir, `${path.basename(script.fsPath, '.py')}.tune.json`);
    for (let i = 2; fs.existsSync(file); i++) file = path.join(dir, `${path.basename(script.fsPath, '.py')}-${i}.tune.json`);
    const { $schema: _schema, ...spec } = starterSpec(script.fsPath, dir, '');
    fs.writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    void vscode.window.showInformationMessage(
      `Created ${path.basename(file)}: edit the space, sampler and budget (completion and validation come from its schema), then run Tune Hyperparameters… on it.`,
    );
    return uri;
  }

  // -- sessions ------------------------------------------------------------------------------------

  /** A session id, a run (node, summary or id) whose newest session is meant, or a quick pick of every session. */
  async openTuningSession(arg?: unknown): Promise<TuningPanel | undefined> {
    const s = await this.store.get();
    if (typeof arg === 'string' && s.getTuningSession(arg)) return this.panels.open({ kind: 'session', id: arg });
    const runId = typeof arg === 'string' ? arg : runIdOf(arg) ?? (isRunSummary(arg) ? arg.id : undefined);
    if (runId) {
      const sessions = s.listTuningSessions(runId);
      if (sessions.length === 0) throw new Error(`run ${runId} has no tuning session`);
      return this.panels.open({ kind: 'session', id: sessions[0].id });
    }
    const id = await this.pickSession(s, 'Open which tuning session?');
    return id ? this.panels.open({ kind: 'session', id }) : undefined;
  }

  private async pickSession(s: TrackingStore, title: string, running = false): Promise<string | undefined> {
    const sessions = s.listTuningSessions().filter((x) => !running || x.status === 'running');
    if (sessions.length === 0) {
      void vscode.window.showInformationMessage(running ? 'No tuning session is running.' : 'No tuning session yet: run Tune Hyperparameters… on a training file or spec.');
      return undefined;
    }
    if (running && sessions.length === 1) return sessions[0].id;
    const picked = await vscode.window.showQuickPick(
      sessions.map((x) => ({
        label: x.studyName,
        description: [x.runName, `${x.nTrials} trials`, x.status].filter(Boolean).join(' · '),
        detail: x.best.length === 1 ? `best #${x.best[0].number}: ${x.best[0].values.map(formatValue).join(', ')}` : x.best.length ? `${x.best.length} trials on the Pareto front` : undefined,
        id: x.id,
      })),
      { title },
    );
    return picked?.id;
  }

  private async studyOf(arg: unknown, title: string, running = false): Promise<TuningStudy | undefined> {
    if (isStudy(arg)) return arg;
    const s = await this.store.get();
    let id: string | undefined;
    if (typeof arg === 'string' && s.getTuningSession(arg)) id = arg;
    else {
      const runId = runIdOf(arg) ?? (isRunSummary(arg) ? arg.id : undefined);
      id = runId ? s.listTuningSessions(runId)[0]?.id : await this.pickSession(s, title, running);
      if (runId && !id) throw new Error(`run ${runId} has no tuning session`);
    }
    return id ? s.getTuningSession(id) : undefined;
  }

  /**
   * Graceful stop: writes `<run dir>/tuning.stop` (running trials finish, no new one starts); offers Stop Now,
   * which cancels the run (the interrupted trial is recorded as failed).
   */
  async stop(arg?: unknown, opts: { now?: boolean } = {}): Promise<'stopping' | 'cancelled' | undefined> {
    const study = await this.studyOf(arg, 'Stop which tuning session?', true);
    if (!study?.run) return undefined;
    const s = await this.store.get();
    if (opts.now) {
      await this.runCommands.cancel(study.run);
      return 'cancelled';
    }
    if (study.status !== 'running') {
      void vscode.window.showInformationMessage(`Tuning ${study.studyName} is not running (${study.status}).`);
      return undefined;
    }
    const runDir = path.join(s.layout.root, 'runs', study.run);
    fs.writeFileSync(path.join(runDir, 'tuning.stop'), `${study.id}\n`);
    void vscode.window.showInformationMessage(`Stopping ${study.studyName}: running trials finish, no new trial starts.`, 'Stop Now').then((pick) => {
      if (pick) void this.runCommands.cancel(study.run);
    });
    return 'stopping';
  }

  // -- optuna study files --------------------------------------------------------------------------

  async openStudyFile(arg?: unknown, opts: { study?: string } = {}): Promise<TuningPanel | undefined> {
    let file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
    if (!file) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Open Optuna Study File', canSelectMany: false, filters: { 'Optuna storage': ['db', 'sqlite', 'sqlite3', 'log'], 'All files': ['*'] },
      });
      file = picked?.[0]?.fsPath;
      if (!file) return undefined;
    }
    const studies = await readStudyFile(file, this.wasm);
    let study = opts.study;
    if (!study && studies.length > 1) {
      const picked = await vscode.window.showQuickPick(
        studies.map((x) => ({ label: x.studyName, description: `${x.trials.length} trials · ${x.directions.join(', ')}`, id: x.id })),
        { title: `${path.basename(file)}: ${studies.length} studies` },
      );
      if (!picked) return undefined;
      study = picked.id;
    }
    return this.panels.open({ kind: 'file', file, study: study ?? studies[0].id });
  }

  // -- the best trial ------------------------------------------------------------------------------

  /** Reruns the tuned script (or the spec's model) once with the best trial's params: `tune … --params {…}`. */
  async trainWithBestParams(arg?: unknown): Promise<LaunchedRun | undefined> {
    const study = await this.studyOf(arg, 'Train with the best params of which session?');
    if (!study) return undefined;
    const s = await this.store.get();
    const run = study.run ? s.getRun(study.run, { logLimit: 0 }) : undefined;
    const plan = trainPlan(study, run?.script?.path);
    if ('reason' in plan) {
      const best = study.trials.find((t) => t.number === study.bestTrials[0]);
      void vscode.window.showWarningMessage(`Cannot train ${study.studyName} from here: ${plan.reason}.`, ...(best ? ['Copy Params'] : [])).then((pick) => {
        if (pick && best) void vscode.env.clipboard.writeText(JSON.stringify(best.params, null, 2));
      });
      return undefined;
    }
    return this.launchTune(plan.args, vscode.Uri.file(plan.target), false);
  }

  /**
   * Registers the model of the best trial: a model file saved by the best trial's own run, else by a run of
   * Train with Best Params from this session. Without one, says why and offers to train.
   */
  async registerBestModel(arg?: unknown, options: { model?: string; description?: string } = {}): Promise<unknown> {
    const study = await this.studyOf(arg, 'Register the best model of which session?');
    if (!study) return undefined;
    const s = await this.store.get();
    const found = this.bestModelFile(s, study);
    if ('reason' in found) {
      void vscode.window.showInformationMessage(`No model to register for ${study.studyName}: ${found.reason}`, ...(found.canTrain ? ['Train with Best Params'] : [])).then((pick) => {
        if (pick) void this.trainWithBestParams(study);
      });
      return { reason: found.reason };
    }
    return vscode.commands.executeCommand('mlwb.registerModel', found.run, {
      file: found.file, ...(options.model ? { model: options.model } : {}), ...(options.description !== undefined ? { description: options.description } : {}),
    });
  }

  private bestModelFile(s: TrackingStore, study: TuningStudy): { run: string; file: string } | { reason: string; canTrain: boolean } {
    if (study.directions.length !== 1) return { reason: 'a multi-objective study has no single best trial.', canTrain: false };
    const best = study.trials.find((t) => t.number === study.bestTrials[0]);
    if (!best) return { reason: 'no trial has completed yet.', canTrain: false };
    const isModel = (p: string) => MODEL_FILE_EXTENSIONS.includes(path.extname(p).slice(1).toLowerCase()) && !p.endsWith('.json');
    const candidates: string[] = [];
    if (best.run && best.run !== study.run) candidates.push(best.run);
    const run = study.run ? s.getRun(study.run, { logLimit: 0 }) : undefined;
    if (run) {
      for (const r of s.listRuns({ experiment: run.experiment, limit: 200 }).runs) {
        if (r.id === run.id || r.status !== 'completed') continue;
        const detail = s.getRun(r.id, { logLimit: 0 });
        const from = detail && trainedFrom(detail.params);
        if (from?.session === study.id && (from.trial === undefined || from.trial === best.number)) candidates.push(r.id);
      }
    }
    for (const id of candidates) {
      const file = s.getRun(id, { logLimit: 0 })?.files.find((f) => isModel(f.path));
      if (file) return { run: id, file: file.path };
    }
    const plan = trainPlan(study, run?.script?.path);
    return {
      reason: `the best trial (#${best.number}) saved no model file: tuning scores parameters and keeps no model. Train with Best Params fits the model with them and saves it; then register it.`,
      canTrain: !('reason' in plan),
    };
  }

  dispose(): void {
    this.panels.dispose();
  }
}

function isStudy(x: unknown): x is TuningStudy {
  return typeof x === 'object' && x !== null && typeof (x as TuningStudy).id === 'string' && Array.isArray((x as TuningStudy).trials);
}

function isRunSummary(x: unknown): x is RunSummary {
  return typeof x === 'object' && x !== null && typeof (x as RunSummary).id === 'string' && typeof (x as RunSummary).status === 'string';
}
