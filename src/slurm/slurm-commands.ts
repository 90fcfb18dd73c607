import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeFileUri, saveIfDirty } from '../platform/active-file';
import { Cancelled } from '../platform/commands';
import { log, showError } from '../platform/log';
import type { WorkspaceStore } from '../platform/workspace-store';
import { askArgs, problemOf } from '../runner/args-input';
import { resolveInterpreter } from '../runner/interpreter';
import { isNotebook, scriptArgs, splitArgs } from '../runner/launch-spec';
import type { RunDetail, RunSummary } from '../store';
import { experimentIdFor } from '../store/edits';
import { isTuneSpecFile, tuneRunnerArgs } from '../tuning/tune-launch';
import { JobPoller, JobTracker, type FinishedRun, type PollResult } from './job-tracker';
import { parseProfiles, type SlurmProfile } from './profiles';
import { endNotice, type EndNotice } from './run-end-notice';
import { SlurmCli, type Slurm } from './slurm-cli';
import { planSubmission, slurmOrigin, submitPlan, type SubmissionPlan, type SubmissionRequest, type Submitted } from './submission';
import { sweepArgs } from './sweep';

/** Options every Slurm command takes, so tests and scripts can drive it without prompts. */
export interface SlurmCommandOptions {
  uri?: vscode.Uri | string;
  profile?: string;
  /** false: skip showing the script and the modal Submit / Cancel. */
  confirm?: boolean;
}

export interface SubmitOptions extends SlurmCommandOptions {
  args?: string[] | string;
  experiment?: string;
}

export interface SweepOptions extends SlurmCommandOptions {
  /** A grid (`--lr 0.1,0.01 --depth 3,5`), argument lines (one run each), or the argument lists themselves. */
  sweep?: string | string[][];
}

export interface TuneOnSlurmOptions extends SlurmCommandOptions {
  workers?: number;
  trialsPerWorker?: number;
  study?: string;
}

/**
 * Submit to Slurm…, Submit Sweep to Slurm…, Tune on Slurm…, Show Slurm Job Output, and Cancel Run for
 * Slurm runs; owns the job poller (running only while there are unfinished Slurm runs).
 */
export class SlurmCommands implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly poller: JobPoller;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private slurmCli: SlurmCli | undefined;
  private tracker: JobTracker | undefined;
  private lastPollError: string | undefined;
  /** Queued and running Slurm runs (for the status bar and Show Running Runs). */
  scheduled: RunSummary[] = [];
  /** The end-of-run notifications shown, oldest first (the last 50): what a test or a log can check. */
  readonly notices: (EndNotice & { run: string })[] = [];

  constructor(
    private readonly runnerDir: string,
    private readonly store: WorkspaceStore,
  ) {
    this.poller = new JobPoller(
      { poll: () => this.trackerFor().then((t) => t.poll()) },
      () => Math.max(1, this.config().get<number>('pollSeconds', 10)) * 1000,
      (outcome) => this.polled(outcome),
    );
    this.subscriptions.push(
      store.onDidChange(() => void this.storeChanged()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mlwb.slurm.binDir')) this.slurmCli = undefined;
      }),
    );
  }

  // -- Submit to Slurm… ----------------------------------------------------------------------------

  async submit(opts: SubmitOptions = {}): Promise<Submitted | undefined> {
    const script = await this.fileToSubmit(opts.uri, runnable, 'Open a Python training file or a Jupyter notebook to submit it to Slurm.');
    const profile = await this.pickProfile(opts.profile, script);
    const args = opts.args === undefined ? await this.askArgs(script) : typeof opts.args === 'string' ? splitArgs(opts.args) : opts.args;
    const stem = path.parse(script).name;
    const experiment = experimentRef(opts.experiment ?? stem);
    const request = await this.request(script, profile, experiment, [{ args, argv: (id) => ['run', '--run-id', id, script, ...scriptArgs(script, args)] }]);
    return this.confirmAndSubmit(request, opts, `${path.basename(script)}${args.length ? ` ${args.join(' ')}` : ''}`);
  }

  // -- Submit Sweep to Slurm… ----------------------------------------------------------------------

  async submitSweep(opts: SweepOptions = {}): Promise<Submitted | undefined> {
    const script = await this.fileToSubmit(opts.uri, runnable, 'Open a Python training file or a Jupyter notebook to submit a sweep of it to Slurm.');
    const profile = await this.pickProfile(opts.profile, script);
    const sweep = opts.sweep ?? (await this.askSweep(script));
    const runs = typeof sweep === 'string' ? sweepArgs(sweep) : sweep;
    const experiment = experimentRef(path.parse(script).name);
    const request = await this.request(
      script, profile, experiment,
      runs.map((args) => ({ args, argv: (id: string) => ['run', '--run-id', id, script, ...scriptArgs(script, args)] })),
    );
    return this.confirmAndSubmit(request, opts, `a sweep of ${path.basename(script)} (${runs.length} runs, one array job)`);
  }

  // -- Tune on Slurm… ------------------------------------------------------------------------------

  /** W array tasks, each a worker running k trials of one study shared through an Optuna journal file in the store. */
  async tuneOnSlurm(opts: TuneOnSlurmOptions = {}): Promise<Submitted | undefined> {
    const target = await this.fileToSubmit(
      opts.uri, (f) => isTuneSpecFile(f) || f.endsWith('.py'), 'Open a tune spec (*.tune.json / *.tune.yaml) or a Python file with an objective to tune it on Slurm.',
    );
    const profile = await this.pickProfile(opts.profile, target);
    const workers = opts.workers ?? (await this.askNumber('Workers (Slurm array tasks), each running its share of the trials', 4));
    const trials = opts.trialsPerWorker ?? (await this.askNumber('Trials per worker', 10));
    const study = opts.study ?? studyName(target);
    const storeDir = this.requireStoreDir();
    const storage = path.join(storeDir, 'tuning', `${study.replace(/[^A-Za-z0-9_.-]+/g, '_')}.optuna-journal`);
    fs.mkdirSync(path.dirname(storage), { recursive: true });
    const base = [...tuneRunnerArgs(isTuneSpecFile(target) ? { spec: target } : { script: target }), '--storage', storage, '--study-name', study, '--n-trials', String(trials), '--worker'];
    const request = await this.request(
      target, profile, experimentRef(study),
      Array.from({ length: workers }, (_, i) => ({ name: `${study} worker ${i}`, args: base, argv: (id: string) => ['tune', '--run-id', id, ...base] })),
    );
    return this.confirmAndSubmit(request, opts, `tuning study "${study}" (${workers} workers × ${trials} trials)`);
  }

  // -- Rerun -----------------------------------------------------------------------------------------

  /**
   * Rerun of a Slurm run: the same file, profile and arguments submitted again (a tuning worker: one more
   * worker of its study). When its profile is gone from the settings: an error offering Run Locally
   * (returned as 'run-locally', for the caller to run it here) and Open Settings; thrown when `confirm: false`.
   */
  async resubmit(run: RunDetail, opts: SlurmCommandOptions = {}): Promise<Submitted | 'run-locally' | undefined> {
    const origin = slurmOrigin(run.metadata);
    const target = run.script?.path;
    if (!origin || !target) throw new Error(`run ${run.name} was not submitted to Slurm`);
    const profiles = this.profiles(target);
    const profile = profiles.find((p) => p.name === origin.profile);
    if (!profile) {
      const message = `Run ${run.name} was submitted to Slurm with the profile "${origin.profile}", which is no longer in mlwb.slurm.profiles (there are: ${profiles.map((p) => p.name).join(', ') || 'none'}).`;
      if (opts.confirm === false) throw new Error(message);
      const pick = await vscode.window.showErrorMessage(message, 'Run Locally', 'Open Settings');
      if (pick === 'Run Locally') return 'run-locally';
      if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'mlwb.slurm.profiles');
      return undefined;
    }
    const args = run.argv.slice(1);
    const argv = origin.runner === 'tune' ? (id: string) => ['tune', '--run-id', id, ...args] : (id: string) => ['run', '--run-id', id, target, ...args];
    const request = await this.request(target, profile, { id: run.experiment, name: run.experimentName }, [{ args, argv }]);
    return this.confirmAndSubmit(request, opts, `a rerun of ${run.name}`);
  }

  // -- Show Slurm Job Output, Cancel --------------------------------------------------------------------

  async showJobOutput(target?: RunSummary | string): Promise<void> {
    const s = await this.store.get();
    const runId = typeof target === 'string' ? target : target?.id ?? (await this.pickSlurmRun(s.listRuns().runs.filter((r) => r.job)));
    const run = runId ? s.getRun(runId) : undefined;
    if (!run?.job) throw new Error(runId ? `run ${runId} is not a Slurm job` : 'no Slurm run to show');
    if (!run.job.output || !fs.existsSync(run.job.output)) {
      void vscode.window.showInformationMessage(`Slurm job ${run.job.id} (${run.job.state}) has not written its output yet${run.job.output ? `: ${run.job.output}` : ''}.`);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(run.job.output), { preview: true });
  }

  /** Cancel Run for a Slurm run: scancel. Returns false when the run is not a Slurm job (the caller cancels it otherwise). */
  async cancel(target: RunSummary | string | undefined): Promise<boolean> {
    const runId = typeof target === 'string' ? target : target?.id;
    if (!runId) return false;
    const run = (await this.store.get()).getRun(runId);
    if (!run?.job) return false;
    if (run.status !== 'queued' && run.status !== 'running') {
      void vscode.window.showInformationMessage(`Run ${run.name} has ended (${run.status}): Slurm job ${run.job.id} is not running.`);
      return true;
    }
    await (await this.slurm()).cancel([run.job.id]);
    log().info(`scancel ${run.job.id} (run ${run.id})`);
    this.poller.ensure();
    return true;
  }

  /** A poll now: the tracker's pass (tests and a manual refresh). */
  pollNow(): Promise<PollResult | undefined> {
    return this.poller.pollNow();
  }

  // -- Internals -------------------------------------------------------------------------------------

  private async confirmAndSubmit(request: SubmissionRequest, opts: SlurmCommandOptions, what: string): Promise<Submitted | undefined> {
    const slurm = await this.slurm();
    await slurm.assertInstalled();
    const plan = planSubmission(request);
    if (opts.confirm !== false && !(await this.confirm(plan, what))) throw new Cancelled();
    const submitted = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Submitting ${what} to Slurm…` },
      () => submitPlan(plan, slurm, (file, text) => fs.writeFileSync(file, text, { mode: 0o644 })).finally(() => this.store.refresh().catch(() => undefined)),
    );
    log().info(`submitted ${what} to Slurm: job ${submitted.jobId}, runs ${submitted.runs.map((r) => `${r.id}=${r.jobId}`).join(' ')} (${submitted.scriptFile})`);
    (await this.trackerFor()).watch(submitted.runs.map((r) => r.id));
    this.poller.ensure();
    void vscode.window
      .showInformationMessage(`Submitted ${what} to Slurm: job ${submitted.jobId}.`, 'Open Run', 'Show Script')
      .then(async (pick) => {
        if (pick === 'Open Run') await vscode.commands.executeCommand('mlwb.openRun', submitted.runs[0].id);
        else if (pick === 'Show Script') await vscode.window.showTextDocument(vscode.Uri.file(submitted.scriptFile));
      });
    return submitted;
  }

  /** The script in an editor, then a modal Submit / Cancel; the editor goes away either way. */
  private async confirm(plan: SubmissionPlan, what: string): Promise<boolean> {
    const doc = await vscode.workspace.openTextDocument({ language: 'shellscript', content: plan.script });
    await vscode.window.showTextDocument(doc, { preview: true });
    const n = plan.runIds.length;
    const answer = await vscode.window.showInformationMessage(
      `Submit ${what} to Slurm?`,
      { modal: true, detail: `Profile "${plan.request.profile.name}", ${n} run${n === 1 ? '' : 's'}. The script shown is written to ${plan.scriptFile} and given to sbatch.` },
      'Submit',
    );
    if (vscode.window.activeTextEditor?.document === doc) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    return answer === 'Submit';
  }

  private async request(target: string, profile: SlurmProfile, experiment: { id: string; name: string }, tasks: SubmissionRequest['tasks']): Promise<SubmissionRequest> {
    this.requireStoreDir();
    const python = profile.python ?? (await resolveInterpreter(vscode.Uri.file(target)))?.path;
    if (!python) throw new Cancelled(); // resolveInterpreter has told the user
    const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target))?.uri.fsPath ?? path.dirname(target);
    const store = await this.store.get();
    return {
      layout: store.layout, profile, runnerDir: this.runnerDir, cwd, python, host: os.hostname(), target, experiment,
      jobName: `mlwb-${path.basename(target)}`, tasks,
    };
  }

  private async fileToSubmit(uri: vscode.Uri | string | undefined, accepts: (file: string) => boolean, hint: string): Promise<string> {
    const target = typeof uri === 'string' ? vscode.Uri.file(uri) : uri ?? activeFileUri();
    if (!target || target.scheme !== 'file' || !accepts(target.fsPath)) {
      void vscode.window.showWarningMessage(hint);
      throw new Cancelled();
    }
    await saveIfDirty(target);
    return target.fsPath;
  }

  /** The valid profiles in the settings for `file`; the invalid ones are left out with a warning. */
  private profiles(file: string): SlurmProfile[] {
    const { profiles, problems } = parseProfiles(vscode.workspace.getConfiguration('mlwb.slurm', vscode.Uri.file(file)).get('profiles'));
    for (const p of problems) log().warn(`Slurm profile skipped: ${p}`);
    if (problems.length > 0) void vscode.window.showWarningMessage(`Some Slurm profiles were skipped: ${problems.join('; ')}`);
    return profiles;
  }

  private async pickProfile(name: string | undefined, file: string): Promise<SlurmProfile> {
    const profiles = this.profiles(file);
    if (name !== undefined) {
      const found = profiles.find((p) => p.name === name);
      if (!found) throw new Error(`no Slurm profile "${name}" in mlwb.slurm.profiles (there are: ${profiles.map((p) => p.name).join(', ') || 'none'})`);
      return found;
    }
    if (profiles.length === 1) return profiles[0];
    if (profiles.length === 0) throw new Error('every profile in mlwb.slurm.profiles is invalid: see the warning');
    const pick = await vscode.window.showQuickPick(
      profiles.map((p) => ({ label: p.name, description: profileText(p), profile: p })),
      { title: 'Slurm profile', placeHolder: 'Profiles come from the setting mlwb.slurm.profiles' },
    );
    if (!pick) throw new Cancelled();
    return pick.profile;
  }

  private async askArgs(script: string): Promise<string[]> {
    const line = await askArgs(
      `Submit ${path.basename(script)} to Slurm: arguments`,
      vscode.workspace.getConfiguration('mlwb', vscode.Uri.file(script)).get<string>('runArgs', ''),
      'Arguments as on a command line, e.g. --epochs 10 --lr 0.01',
    );
    if (line === undefined) throw new Cancelled();
    return splitArgs(line);
  }

  private async askSweep(script: string): Promise<string> {
    const line = await vscode.window.showInputBox({
      title: `Sweep ${path.basename(script)} on Slurm: one run per combination`,
      prompt: 'Comma-separated values make a grid, e.g. --lr 0.1,0.01 --depth 3,5 (4 runs). For explicit runs, separate argument lines with " ;; ".',
      validateInput: (v) => problemOf(() => sweepArgs(v.split(' ;; ').join('\n'))),
    });
    if (line === undefined) throw new Cancelled();
    return line.split(' ;; ').join('\n');
  }

  private async askNumber(prompt: string, value: number): Promise<number> {
    const text = await vscode.window.showInputBox({
      title: 'Tune on Slurm', prompt, value: String(value),
      validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 ? undefined : 'A whole number ≥ 1'),
    });
    if (text === undefined) throw new Cancelled();
    return Number(text);
  }

  private async pickSlurmRun(runs: RunSummary[]): Promise<string | undefined> {
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({ label: r.name, description: `Slurm ${r.job?.id} · ${r.job?.state} · ${r.status}`, id: r.id })),
      { title: 'Show the output of which Slurm job?' },
    );
    return pick?.id;
  }

  private requireStoreDir(): string {
    const dir = this.store.directory;
    if (!dir) throw new Error('Open a folder first: Slurm runs are stored in the workspace.');
    return dir;
  }

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('mlwb.slurm');
  }

  private async slurm(): Promise<SlurmCli> {
    this.slurmCli ??= new SlurmCli({ binDir: this.config().get<string>('binDir', ''), log: (l) => log().info(`slurm: ${l}`) });
    return this.slurmCli;
  }

  private async trackerFor(): Promise<JobTracker> {
    if (!this.tracker) {
      const s = await this.store.get();
      // Through this.slurm() on each call: a changed mlwb.slurm.binDir applies to the jobs being followed too.
      const slurm: Slurm = {
        submit: async (file, cwd) => (await this.slurm()).submit(file, cwd),
        queued: async (ids) => (await this.slurm()).queued(ids),
        ended: async (ids) => (await this.slurm()).ended(ids),
        cancel: async (ids) => (await this.slurm()).cancel(ids),
      };
      this.tracker = new JobTracker({ layout: s.layout, refresh: () => this.store.refresh(), unfinishedJobs: () => s.unfinishedJobs(), getRun: (id, o) => s.getRun(id, o) }, slurm);
    }
    return this.tracker;
  }

  private polled(outcome: PollResult | Error): void {
    if (outcome instanceof Error) {
      log().warn(`following Slurm jobs: ${outcome.message}`);
      if (outcome.message !== this.lastPollError) void showError(`Following Slurm jobs failed: ${outcome.message}`);
      this.lastPollError = outcome.message;
      return;
    }
    this.lastPollError = undefined;
    for (const e of outcome.ended) log().info(`Slurm job of run ${e.run} ended ${e.state} without the run's own end: marked ${e.status}`);
    for (const f of outcome.finished) void this.notifyEnd(f).catch((err) => log().warn(`notifying the end of run ${f.run}: ${(err as Error).message}`));
  }

  /** Once per run this window followed, however it ended (its runner, the tracker, another window). */
  private async notifyEnd(f: FinishedRun): Promise<void> {
    const s = await this.store.get();
    const run = s.getRun(f.run, { logLimit: 0 });
    if (!run) return;
    // The last error lines: the end of a traceback, Slurm's own complaint.
    const lines = run.status === 'completed' ? [] : s.lastLogLines(f.run, 4);
    const notice = endNotice(run, lines);
    this.notices.push({ run: f.run, ...notice });
    if (this.notices.length > 50) this.notices.shift();
    log().info(notice.message);
    const show = notice.severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
    const pick = await show(notice.message, ...notice.actions);
    if (pick === 'Open Run') await vscode.commands.executeCommand('mlwb.openRun', f.run);
    else if (pick === 'Show Job Output') await this.showJobOutput(f.run);
    else if (pick === 'Rerun') await vscode.commands.executeCommand('mlwb.rerun', f.run);
  }

  private async storeChanged(): Promise<void> {
    const s = await this.store.get().catch(() => undefined);
    if (!s) return;
    // Every store change lands here: without Slurm runs it costs one indexed query and nothing else.
    const unfinished = s.unfinishedJobs();
    if (unfinished.length === 0 && this.scheduled.length === 0) return;
    this.scheduled = unfinished.length > 0 ? s.listRuns({ status: ['queued', 'running'] }).runs.filter((r) => r.job) : [];
    this.changed.fire();
    if (unfinished.length > 0) this.poller.ensure();
  }

  dispose(): void {
    this.poller.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}

function experimentRef(name: string): { id: string; name: string } {
  const id = experimentIdFor(name) || 'default';
  return { id, name: id.split('/').pop() ?? id };
}

/** The spec's study_name (JSON, or a top-level YAML key), else the file's name. */
function studyName(target: string): string {
  const base = path.basename(target).replace(/\.tune\.(json|ya?ml)$/i, '').replace(/\.py$/i, '');
  try {
    const text = fs.readFileSync(target, 'utf8');
    if (/\.json$/i.test(target)) {
      const name = (JSON.parse(text) as { study_name?: unknown }).study_name;
      if (typeof name === 'string' && name.trim()) return name.trim();
    } else if (/\.ya?ml$/i.test(target)) {
      const m = /^study_name:\s*["']?([^"'\n#]+?)["']?\s*(#.*)?$/m.exec(text);
      if (m) return m[1].trim();
    }
  } catch {
    /* unreadable: the runner will say so */
  }
  return base;
}

function profileText(p: SlurmProfile): string {
  return [p.partition && `partition ${p.partition}`, p.gpus && `${p.gpus} GPU`, p.cpusPerTask && `${p.cpusPerTask} CPU${p.cpusPerTask === 1 ? '' : 's'}`, p.mem, p.time && `time ${p.time}`].filter(Boolean).join(' · ') || 'cluster defaults';
}

/** What Submit to Slurm runs with `python -m mlwb run`: a Python file or a notebook. */
function runnable(file: string): boolean {
  return file.endsWith('.py') || isNotebook(file);
}
