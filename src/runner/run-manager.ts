import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from '../platform/log';
import type { WorkspaceStore } from '../platform/workspace-store';
import { isNotebook, runnerInvocation, terminalName, type LaunchSpec } from './launch-spec';
import type { ProgressParams } from './protocol';
import { maskArgv } from './secrets';
import { openRunnerChannel } from './rpc-channel';
import { FINISHED_STATUSES, RunSession, type RunOutcome } from './run-session';

const CONNECT_TIMEOUT_MS = 60_000;
const REFRESH_AFTER_FLUSH_MS = 100;
const OPEN_NOTEBOOK = 'Open Executed Notebook';

export interface LaunchedRun {
  spec: LaunchSpec;
  session: RunSession;
  terminal: vscode.Terminal;
  /** The latest progress the script reported (mlwb.progress). */
  progress?: ProgressParams;
  /** Resolves with the run id once the runner has started the run. */
  started: Promise<string>;
  finished: Promise<RunOutcome>;
}

/**
 * Launches runs in visible terminals, follows each through its JSON-RPC session, keeps the store
 * live (the runner rings after each journal flush) and tells the user how each run ended.
 */
export class RunManager implements vscode.Disposable {
  private readonly runs = new Set<LaunchedRun>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runnerDir: string,
    private readonly store: WorkspaceStore,
  ) {}

  get active(): LaunchedRun[] {
    return [...this.runs].filter((r) => r.session.running);
  }

  byRunId(runId: string): LaunchedRun | undefined {
    return [...this.runs].find((r) => r.session.runId === runId);
  }

  async launch(spec: LaunchSpec): Promise<LaunchedRun> {
    const storeDir = this.store.directory;
    if (!storeDir) throw new Error('Open a folder first: runs are stored in the workspace.');
    const channel = await openRunnerChannel(CONNECT_TIMEOUT_MS);
    const config = vscode.workspace.getConfiguration('mlwb');
    const cancelGraceMs = Math.max(1, config.get<number>('cancelGraceSeconds', 10)) * 1000;
    const session = new RunSession(channel, { cancelGraceMs, killGraceMs: 5000 }, (m) => log().warn(m));
    const { command, args, env } = runnerInvocation(spec, this.runnerDir, channel.pipeName, storeDir, process.env, {
      systemMetricsInterval: config.get<number>('systemMetricsInterval', 10),
      rpcSecret: channel.secret,
    });
    log().info(`launch: ${command} ${maskArgv(args).join(' ')} (cwd ${spec.cwd}${spec.gpus ? `, CUDA_VISIBLE_DEVICES=${spec.gpus.join(',')}` : ''})`);
    const terminal = vscode.window.createTerminal({
      name: terminalName(spec),
      shellPath: command,
      shellArgs: args,
      cwd: spec.cwd,
      env,
      iconPath: new vscode.ThemeIcon('beaker'),
      isTransient: true,
    });
    terminal.show(true);
    let settle!: (outcome: RunOutcome) => void;
    const run: LaunchedRun = {
      spec,
      session,
      terminal,
      started: new Promise((resolve, reject) => {
        session.once('started', (p) => resolve(p.runId));
        session.once('finished', (o) => reject(new Error(`the run ended before it started: ${o.error ?? o.status}`)));
      }),
      finished: new Promise((resolve) => (settle = resolve)),
    };
    run.started.catch(() => undefined);
    this.runs.add(run);
    this.follow(run, settle);
    this.changed.fire();
    return run;
  }

  private follow(run: LaunchedRun, settle: (outcome: RunOutcome) => void): void {
    const { session } = run;
    session.on('connected', (h) => log().info(`runner ${h.runner} connected (pid ${h.pid}, ${h.python.executable} ${h.python.version})`));
    session.on('started', (p) => {
      log().info(`run ${p.runId} started: ${p.script}`);
      this.refreshSoon();
      this.changed.fire();
    });
    session.on('flushed', () => this.refreshSoon());
    session.on('claimed', () => this.refreshSoon());
    session.on('progress', (p) => {
      const first = !run.progress;
      run.progress = p;
      if (first) this.showProgress(run);
      this.changed.fire();
    });
    session.on('log', (m) => log().info(`run ${session.runId}: ${m}`));
    session.on('finished', (outcome) => void this.finished(run, outcome, settle));
  }

  /** A cancellable progress notification for a run that reports progress, until it ends. */
  private showProgress(run: LaunchedRun): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: path.basename(run.spec.script), cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => void run.session.cancel('cancelled from the progress notification'));
        let reported = 0;
        const onProgress = (p: ProgressParams) => {
          const pct = p.total ? (100 * p.current) / p.total : undefined;
          progress.report({ message: [p.total ? `${p.current}/${p.total}` : `${p.current}`, p.message].filter(Boolean).join(' · '), increment: pct === undefined ? undefined : pct - reported });
          if (pct !== undefined) reported = pct;
        };
        if (run.progress) onProgress(run.progress);
        run.session.on('progress', onProgress);
        return run.finished.then(() => undefined);
      },
    );
  }

  private async finished(run: LaunchedRun, sessionOutcome: RunOutcome, settle: (outcome: RunOutcome) => void): Promise<void> {
    const runId = run.session.runId;
    const store = await this.store.get();
    await this.store.refresh().catch(() => undefined);
    const journaled = runId ? store.getRun(runId, { logLimit: 0 }) : undefined;
    // Killed after a cancel: the process is gone, so its journal can take the final word.
    if (sessionOutcome.killed && runId && (journaled?.status === 'running' || journaled?.status === 'crashed')) {
      await store.endRun(runId, 'cancelled', sessionOutcome.error).catch((e) => log().error(`could not mark ${runId} cancelled: ${e}`));
      await this.store.refresh().catch(() => undefined);
    }
    // A frame vscode-jsonrpc cannot read breaks the channel for good while the run goes on: a "crashed"
    // session whose journal holds a final status ended as the journal says.
    const outcome: RunOutcome =
      sessionOutcome.status === 'crashed' && journaled && (FINISHED_STATUSES as readonly string[]).includes(journaled.status)
        ? { ...sessionOutcome, status: journaled.status as RunOutcome['status'], exitCode: journaled.exitCode ?? sessionOutcome.exitCode, error: journaled.error }
        : sessionOutcome;
    log().info(`run ${runId ?? '(not started)'} ${outcome.status} (exit ${outcome.exitCode ?? '-'}, ${outcome.durationMs} ms)${outcome.error ? `: ${outcome.error}` : ''}${outcome !== sessionOutcome ? ' (from its journal: the runner\'s channel broke)' : ''}`);
    settle(outcome);
    this.changed.fire();
    const name = runId ? store.getRun(runId)?.name ?? runId : path.basename(run.spec.script);
    const seconds = (outcome.durationMs / 1000).toFixed(1);
    const notebook = isNotebook(run.spec.script) && !run.spec.subcommand;
    if (outcome.status === 'completed') {
      const pick = await vscode.window.showInformationMessage(`Run ${name} completed in ${seconds} s.`, 'Open Run', ...(notebook ? [OPEN_NOTEBOOK] : []));
      if (pick === OPEN_NOTEBOOK && runId) await vscode.commands.executeCommand('mlwb.openExecutedNotebook', runId);
      else if (pick && runId) await vscode.commands.executeCommand('mlwb.openRun', runId);
    } else if (outcome.status === 'cancelled') {
      void vscode.window.showInformationMessage(`Run ${name} was cancelled after ${seconds} s.`);
    } else {
      const tail = runId ? store.lastLogLines(runId, 3) : [];
      const detail = [outcome.error, ...tail].filter(Boolean).join(' — ').slice(0, 500);
      const pick = await vscode.window.showErrorMessage(`Run ${name} ${outcome.status}: ${detail}`, 'Show Terminal', 'Open Run', ...(notebook ? [OPEN_NOTEBOOK] : []), 'Rerun');
      if (pick === 'Show Terminal') run.terminal.show();
      else if (pick === OPEN_NOTEBOOK && runId) await vscode.commands.executeCommand('mlwb.openExecutedNotebook', runId);
      else if (pick === 'Open Run' && runId) await vscode.commands.executeCommand('mlwb.openRun', runId);
      else if (pick === 'Rerun') await this.launch(run.spec);
    }
  }

  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.store.refresh().catch((err) => log().error(`refresh failed: ${err}`));
    }, REFRESH_AFTER_FLUSH_MS);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const r of this.runs) r.session.dispose();
    this.changed.dispose();
  }
}
