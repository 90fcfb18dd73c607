import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { slurmOrigin, type Submitted } from '../slurm/submission';
import type { RunDetail, RunSummary } from '../store';
import type { WorkspaceStore } from '../platform/workspace-store';
import { parseDotenv } from './dotenv';
import { queryGpus } from './gpus';
import { resolveInterpreter } from './interpreter';
import { askArgs } from './args-input';
import { activeFileUri, saveIfDirty } from '../platform/active-file';
import { isNotebook, quoteArgs, splitArgs, type LaunchSpec } from './launch-spec';
import type { LaunchedRun, RunManager } from './run-manager';

export interface RunFileOptions {
  uri?: vscode.Uri;
  /** Arguments (tests pass them; users get mlwb.runArgs or a prompt). */
  args?: string[];
  gpus?: number[];
}

/** Runs that run elsewhere (Slurm jobs): Show Running Runs lists them, Cancel Run stops them there. */
export interface RemoteRuns {
  readonly scheduled: readonly RunSummary[];
  /** False when the run is not one of them. */
  cancel(run: RunSummary | string): Promise<boolean>;
  showJobOutput(run: RunSummary | string): Promise<void>;
  /** Submits a run that was submitted there again; 'run-locally' when the user asks to run it here instead. */
  resubmit(run: RunDetail, opts: { confirm?: boolean }): Promise<Submitted | 'run-locally' | undefined>;
}

type ActiveRun = { local: LaunchedRun } | { remote: RunSummary };

/** The commands that start, rerun and cancel runs. Each returns what it launched, for callers and tests. */
export class RunCommands {
  private readonly lastArgs = new Map<string, string>();

  constructor(
    private readonly runs: RunManager,
    private readonly store: WorkspaceStore,
    private readonly remote?: RemoteRuns,
  ) {}

  async runCurrentFile(opts: RunFileOptions = {}): Promise<LaunchedRun | undefined> {
    const script = await this.scriptToRun(opts.uri);
    if (!script) return undefined;
    const configured = vscode.workspace.getConfiguration('mlwb', script).get<string>('runArgs', '');
    return this.launch(script, opts.args ?? splitArgs(configured), opts.gpus);
  }

  async runWithArguments(uri?: vscode.Uri): Promise<LaunchedRun | undefined> {
    const script = await this.scriptToRun(uri);
    if (!script) return undefined;
    const line = await askArgs(
      `Run ${path.basename(script.fsPath)} with arguments`,
      this.lastArgs.get(script.fsPath) ?? vscode.workspace.getConfiguration('mlwb', script).get<string>('runArgs', ''),
      isNotebook(script.fsPath)
        ? 'The notebook\'s parameters, e.g. epochs=10 lr=0.01 (or --epochs 10 --lr 0.01): injected after its "parameters" cell'
        : 'Arguments as on a command line, e.g. --epochs 10 --lr 0.01',
    );
    if (line === undefined) return undefined;
    this.lastArgs.set(script.fsPath, line);
    return this.launch(script, splitArgs(line));
  }

  async runOnGpu(uri?: vscode.Uri): Promise<LaunchedRun | undefined> {
    const script = await this.scriptToRun(uri);
    if (!script) return undefined;
    const query = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Looking for GPUs…' }, () => queryGpus());
    if (!query.ok) {
      const pick = await vscode.window.showWarningMessage(`No GPU to run on: ${query.reason}.`, 'Run on CPU');
      return pick ? this.launch(script, this.defaultArgs(script), []) : undefined;
    }
    const picked = await vscode.window.showQuickPick(
      query.gpus.map((g) => ({
        label: `GPU ${g.index}: ${g.name}`,
        description: `${g.memoryUsedMiB}/${g.memoryTotalMiB} MiB, ${g.utilizationPct}% busy${g.temperatureC !== undefined ? `, ${g.temperatureC} °C` : ''}`,
        index: g.index,
        picked: query.gpus.length === 1,
      })),
      { title: `Run ${path.basename(script.fsPath)} on GPUs`, canPickMany: true, placeHolder: 'CUDA_VISIBLE_DEVICES will list the GPUs you pick' },
    );
    if (!picked?.length) return undefined;
    return this.launch(script, this.defaultArgs(script), picked.map((p) => p.index));
  }

  /**
   * Same script, arguments and GPUs; a run from an earlier session is rerun from its run.json, a Slurm run is
   * submitted again (`confirm: false`: without showing its script first).
   */
  async rerun(target: RunSummary | string, opts: { confirm?: boolean } = {}): Promise<LaunchedRun | Submitted | undefined> {
    const runId = typeof target === 'string' ? target : target.id;
    const live = this.runs.byRunId(runId);
    if (live) return this.runs.launch({ ...live.spec, env: this.dotenv(vscode.Uri.file(live.spec.script)) });
    const run = (await this.store.get()).getRun(runId);
    if (!run?.script?.path) throw new Error(`run ${runId} has no script to rerun`);
    let args = run.argv.slice(1);
    if (args.some((a) => a.includes('***'))) {
      // Secrets were recorded as ***: the user gives them again (or reruns with *** on purpose).
      const go = await vscode.window.showWarningMessage(`Run ${run.name} had secret arguments, recorded as ***.`, { modal: true, detail: 'Give them again, or rerun with *** in their place.' }, 'Edit Arguments…', 'Rerun with ***');
      if (!go) return undefined;
      if (go === 'Edit Arguments…') {
        const line = await askArgs(`Rerun ${run.name}: arguments`, quoteArgs(args), 'Replace each *** with its value (it is masked again in the new run)');
        if (line === undefined) return undefined;
        args = splitArgs(line);
      }
    }
    if (this.remote && slurmOrigin(run.metadata)) {
      const again = await this.remote.resubmit({ ...run, argv: [run.argv[0], ...args] }, opts);
      if (again !== 'run-locally') return again;
    }
    const python = await resolveInterpreter(vscode.Uri.file(run.script.path));
    if (!python) return undefined;
    return this.runs.launch({ script: run.script.path, args, cwd: run.cwd ?? path.dirname(run.script.path), python: python.path, env: this.dotenv(vscode.Uri.file(run.script.path)) });
  }

  async cancel(target?: RunSummary | string): Promise<void> {
    const runId = typeof target === 'string' ? target : target?.id;
    if (runId && (await this.remote?.cancel(runId))) return;
    const picked = runId ? undefined : await this.pickActive('Cancel which run?');
    if (picked && 'remote' in picked) {
      await this.remote?.cancel(picked.remote);
      return;
    }
    const run = runId ? this.runs.byRunId(runId) : picked?.local;
    if (!run) {
      if (runId) void vscode.window.showWarningMessage('That run was not started from this window, so it cannot be cancelled here: stop it in its terminal (Ctrl+C).');
      return;
    }
    await run.session.cancel();
  }

  async showRunning(): Promise<void> {
    const picked = await this.pickActive('Running runs');
    if (!picked) return;
    if ('remote' in picked) {
      const r = picked.remote;
      const action = await vscode.window.showQuickPick(['Open Run', 'Show Slurm Job Output', 'Cancel Run'], { title: `${r.name} (Slurm ${r.job?.id} · ${r.job?.state})` });
      if (action === 'Open Run') await vscode.commands.executeCommand('mlwb.openRun', r.id);
      else if (action === 'Show Slurm Job Output') await this.remote?.showJobOutput(r);
      else if (action === 'Cancel Run') await this.remote?.cancel(r);
      return;
    }
    const run = picked.local;
    const action = await vscode.window.showQuickPick(['Show Terminal', 'Show System Info', 'Cancel Run'], { title: path.basename(run.spec.script) });
    if (action === 'Show Terminal') run.terminal.show();
    else if (action === 'Cancel Run') await run.session.cancel();
    else if (action === 'Show System Info') {
      // What the run's own interpreter sees (CUDA devices through torch, packages), asked of the runner.
      const info = await run.session.systemInfo();
      const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(info, null, 2) });
      await vscode.window.showTextDocument(doc, { preview: true });
    }
  }

  private async pickActive(title: string): Promise<ActiveRun | undefined> {
    const active: ActiveRun[] = [...this.runs.active.map((local) => ({ local })), ...(this.remote?.scheduled ?? []).map((remote) => ({ remote }))];
    if (active.length <= 1) return active[0];
    const pick = await vscode.window.showQuickPick(
      active.map((a) =>
        'local' in a
          ? { label: path.basename(a.local.spec.script), description: a.local.session.runId ?? 'starting', run: a }
          : { label: `$(clock) ${a.remote.name}`, description: `Slurm ${a.remote.job?.id} · ${a.remote.job?.state}`, run: a },
      ),
      { title },
    );
    return pick?.run;
  }

  private async launch(script: vscode.Uri, args: string[], gpus?: number[]): Promise<LaunchedRun | undefined> {
    const python = await resolveInterpreter(script);
    if (!python) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(script)?.uri.fsPath ?? path.dirname(script.fsPath);
    const spec: LaunchSpec = { script: script.fsPath, args, cwd: folder, python: python.path, gpus, env: this.dotenv(script) };
    return this.runs.launch(spec);
  }

  private defaultArgs(script: vscode.Uri): string[] {
    return splitArgs(vscode.workspace.getConfiguration('mlwb', script).get<string>('runArgs', ''));
  }

  /** The .env file (setting mlwb.envFile), if there is one; its values go to the process only. */
  dotenv(script: vscode.Uri): Record<string, string> {
    const folder = vscode.workspace.getWorkspaceFolder(script)?.uri.fsPath;
    const setting = vscode.workspace.getConfiguration('mlwb', script).get<string>('envFile', '${workspaceFolder}/.env');
    const file = setting.replace('${workspaceFolder}', folder ?? path.dirname(script.fsPath));
    try {
      return parseDotenv(fs.readFileSync(file, 'utf8'), process.env);
    } catch {
      return {};
    }
  }

  /** The Python file, notebook or model spec to run: the given one or the active editor's, saved first. */
  private async scriptToRun(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const target = uri ?? activeFileUri();
    if (!target || !(target.fsPath.endsWith('.py') || isNotebook(target.fsPath) || target.fsPath.toLowerCase().endsWith('.mlwb-model.json'))) {
      void vscode.window.showWarningMessage('Open a Python training file, a Jupyter notebook (.ipynb) or a *.mlwb-model.json model spec to run it.');
      return undefined;
    }
    await saveIfDirty(target);
    if (target.scheme !== 'file') {
      void vscode.window.showWarningMessage('Only files on disk can be run.');
      return undefined;
    }
    return target;
  }
}
