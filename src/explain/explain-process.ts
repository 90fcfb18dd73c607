import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { FeatureEvent } from '../runner/protocol';
import { channelEnv, openRunnerChannel } from '../runner/rpc-channel';
import { RunSession, type RunOutcome } from '../runner/run-session';

/**
 * `python -m mlwb explain` as a background job: a child process (no terminal) speaking JSON-RPC
 * through a RunSession, with progress, cancel and an outcome that says what went wrong in words.
 * No `vscode` import (unit-tested against the real runner).
 */

const CONNECT_TIMEOUT_MS = 60_000;
/** After the process exits, how long "finished" may still take to arrive before we decide without it. */
const EXIT_GRACE_MS = 1500;
const STDERR_TAIL = 40;

export interface ExplainRequest {
  model: string;
  /** The sha256 the user agreed to (a pickle): the runner refuses other bytes. */
  sha256?: string;
  data: string;
  target?: string;
  /** Where explain.json goes (a version's explain/ directory)… */
  out?: string;
  /** …or the run it is stored with (<run>/files/explain/explain.json). */
  run?: string;
  method?: 'auto' | 'tree' | 'kernel' | 'shap';
  rows?: number;
  background?: number;
  nsamples?: number;
  top?: number;
  seed?: number;
}

export function explainArgs(r: ExplainRequest): string[] {
  if ((r.out === undefined) === (r.run === undefined)) throw new Error('an explanation goes to a directory or to a run: give exactly one');
  const args = ['-m', 'mlwb', 'explain', '--model', r.model, '--data', r.data];
  if (r.sha256) args.push('--model-sha256', r.sha256);
  if (r.target) args.push('--target', r.target);
  if (r.out !== undefined) args.push('--out', r.out);
  if (r.run !== undefined) args.push('--run', r.run);
  if (r.method) args.push('--method', r.method);
  for (const [flag, v] of [['--rows', r.rows], ['--background', r.background], ['--nsamples', r.nsamples], ['--top', r.top], ['--seed', r.seed]] as const) {
    if (v !== undefined) args.push(flag, String(Math.trunc(v)));
  }
  return args;
}

export interface ExplainProgress {
  stage: string;
  current: number;
  total: number;
}

export interface ExplainOutcome {
  status: RunOutcome['status'];
  exitCode?: number;
  durationMs: number;
  /** One line for the user: the runner's own message (exit 2: bad input), or what we saw. */
  error?: string;
  traceback?: string;
  /** explain.json, from the runner's explainResult. */
  resultPath?: string;
  summary?: Record<string, unknown>;
  /** The last lines the process wrote to stderr. */
  stderr: string[];
}

export interface ExplainJob {
  label: string;
  request: ExplainRequest;
  session: RunSession;
  progress?: ExplainProgress;
  onProgress(listener: (p: ExplainProgress) => void): void;
  cancel(reason?: string): Promise<void>;
  finished: Promise<ExplainOutcome>;
}

export interface LaunchOptions {
  python: string;
  /** python-runner/ (first on PYTHONPATH, so the bundled mlwb is used). */
  runnerDir: string;
  storeDir: string;
  cwd: string;
  cancelGraceMs: number;
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Every line of stderr, and what the job does (the output channel). */
  log: (line: string) => void;
  warn: (line: string) => void;
}

export async function launchExplain(request: ExplainRequest, opts: LaunchOptions): Promise<ExplainJob> {
  const label = `explain ${path.basename(request.model)}`;
  const channel = await openRunnerChannel(CONNECT_TIMEOUT_MS);
  const session = new RunSession(channel, { cancelGraceMs: opts.cancelGraceMs, killGraceMs: opts.killGraceMs ?? 5000, job: label }, opts.warn);
  if (request.run) session.runId = request.run;
  const base = opts.env ?? process.env;
  const env = {
    ...base,
    PYTHONPATH: [opts.runnerDir, base.PYTHONPATH].filter(Boolean).join(path.delimiter),
    ...channelEnv(channel),
    MLWB_STORE: opts.storeDir,
    PYTHONUNBUFFERED: '1',
  };
  const args = explainArgs(request);
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(opts.python, args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    session.dispose();
    throw err;
  }
  opts.log(`${label}: ${opts.python} ${args.join(' ')} (pid ${child.pid ?? '?'})`);

  const stderr: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) {
      opts.log(`${label}: ${line}`);
      stderr.push(line);
      if (stderr.length > STDERR_TAIL) stderr.shift();
    }
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split(/\r?\n/).filter(Boolean)) opts.log(`${label}: ${line}`);
  });

  const listeners: ((p: ExplainProgress) => void)[] = [];
  let resultPath: string | undefined;
  let summary: Record<string, unknown> | undefined;
  const job: ExplainJob = {
    label,
    request,
    session,
    onProgress: (l) => listeners.push(l),
    cancel: (reason = 'cancelled from VS Code') => session.cancel(reason),
    finished: undefined as unknown as Promise<ExplainOutcome>,
  };
  session.on('feature', (e: FeatureEvent) => {
    if (e.kind === 'explainProgress' && typeof e.stage === 'string' && typeof e.current === 'number' && typeof e.total === 'number') {
      job.progress = { stage: e.stage, current: e.current, total: e.total };
      for (const l of listeners) l(job.progress);
    } else if (e.kind === 'explainResult' && typeof e.data === 'object' && e.data !== null) {
      summary = e.data;
      if (typeof e.data.path === 'string') resultPath = e.data.path;
    }
  });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const fromSession = new Promise<RunOutcome>((resolve) => session.once('finished', resolve));

  job.finished = (async (): Promise<ExplainOutcome> => {
    // The runner normally says how it ended; a process that dies first (a bad interpreter, no mlwb,
    // a kill) is decided from its exit, a little later, so a "finished" in flight still wins.
    const outcome = await Promise.race([
      fromSession,
      exited.then(async (exit) => {
        await new Promise((r) => setTimeout(r, EXIT_GRACE_MS));
        if (!session.running && session.outcome) return session.outcome;
        const tail = stderr.filter((l) => l.trim()).slice(-1)[0];
        const why = exit.error ? `could not start ${opts.python}: ${exit.error.message}` : `the Python process ended (exit ${exit.code ?? exit.signal}) without reporting a result`;
        return { status: 'crashed', exitCode: exit.code ?? undefined, durationMs: Date.now() - started, error: tail ? `${why}: ${tail}` : why } as RunOutcome;
      }),
    ]);
    const exit = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), EXIT_GRACE_MS))]);
    if (exit === undefined && child.exitCode === null) child.kill('SIGTERM');
    session.dispose();
    const status = outcome.status;
    const error = status === 'completed' || status === 'cancelled' ? undefined : oneLine(outcome.error) ?? oneLine(stderr.filter((l) => l.trim()).slice(-1)[0]) ?? `exit ${outcome.exitCode}`;
    const result: ExplainOutcome = { status, exitCode: outcome.exitCode ?? exit?.code ?? undefined, durationMs: outcome.durationMs, stderr: [...stderr] };
    if (error) result.error = error;
    if (outcome.traceback) result.traceback = outcome.traceback;
    if (status === 'completed') {
      result.resultPath = resultPath;
      result.summary = summary;
    }
    opts.log(`${label}: ${status} (exit ${result.exitCode ?? '-'}, ${Math.round(result.durationMs)} ms)${error ? `: ${error}` : ''}`);
    return result;
  })();
  return job;
}

function oneLine(s: string | undefined): string | undefined {
  const line = s?.split('\n').map((l) => l.trim()).find(Boolean);
  return line ? line.slice(0, 500) : undefined;
}
