import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';

/**
 * `python -m mlwb evaluate` (one model, or two compared) and `python -m mlwb smoke` as background
 * jobs: plain child processes whose stdout is JSON lines (see python-runner/mlwb/EVALUATION.md).
 * Cancel = SIGTERM (the runner exits 130 and leaves nothing behind), then SIGKILL after a grace.
 * No `vscode` import: the commands file asks, this module plans and runs.
 */

export const EVALUATION_FILE = 'evaluation.json';
export const COMPARISON_FILE = 'comparison.json';

export interface EvaluateModel {
  /** Absolute path of the model file. */
  file: string;
  /** The sha256 the user agreed to load (the runner refuses other bytes). */
  sha256: string;
  /** For titles: "iris v3", "forest.pkl". */
  title: string;
}

export interface EvaluateRequest {
  /** One model, or two to compare (A then B: deltas are B − A). */
  models: [EvaluateModel] | [EvaluateModel, EvaluateModel];
  data: string;
  target: string;
  /** Where the result goes… */
  out?: string;
  /** …or the (ended) run it is stored with (<run>/files/evaluation/). */
  run?: string;
  resamples?: number;
  seed?: number;
}

/** The arguments after the interpreter; bad requests are refused here, in words. */
export function evaluateArgs(r: EvaluateRequest): string[] {
  if ((r.out === undefined) === (r.run === undefined)) throw new Error('an evaluation goes to a directory or to a run: give exactly one');
  if (r.models.length < 1 || r.models.length > 2) throw new Error('evaluate one model, or compare two');
  if (!r.target) throw new Error('an evaluation needs the target (label) column');
  const args = ['-m', 'mlwb', 'evaluate'];
  for (const m of r.models) args.push('--model', m.file);
  for (const m of r.models) {
    if (!/^[0-9a-f]{64}$/i.test(m.sha256)) throw new Error(`not a sha256: ${JSON.stringify(m.sha256)}`);
    args.push('--model-sha256', m.sha256.toLowerCase());
  }
  args.push('--data', r.data, '--target', r.target);
  if (r.out !== undefined) args.push('--out', r.out);
  if (r.run !== undefined) args.push('--run', r.run);
  if (r.models.length === 2) {
    args.push('--compare');
    if (r.resamples !== undefined) args.push('--resamples', String(Math.max(1, Math.trunc(r.resamples))));
    if (r.seed !== undefined) args.push('--seed', String(Math.trunc(r.seed)));
  }
  return args;
}

export interface SmokeRequest {
  model: EvaluateModel;
  data: string;
  target?: string;
  requests?: number;
  /** The challenger's signature file: the smoke requests go through its checks, as served. */
  signature?: string;
}

export function smokeArgs(r: SmokeRequest): string[] {
  const args = ['-m', 'mlwb', 'smoke', '--model', r.model.file, '--model-sha256', r.model.sha256.toLowerCase(), '--data', r.data];
  if (r.target) args.push('--target', r.target);
  if (r.requests !== undefined) args.push('--requests', String(Math.max(1, Math.trunc(r.requests))));
  if (r.signature) args.push('--signature', r.signature);
  return args;
}

/** Where a version's, a file's or a comparison's result goes (a run's goes through --run). */
export function versionEvaluationDir(versionFile: string): string {
  return path.join(path.dirname(versionFile), 'evaluation');
}

export function fileEvaluationDir(storeRoot: string, modelFile: string): string {
  const stem = path.basename(modelFile).replace(/[^\w.-]+/g, '_');
  return path.join(storeRoot, 'evaluations', `${stem}-${shortHash(path.resolve(modelFile))}`);
}

/** A comparison of two models on one data file: one directory per (A, B, data) triple. */
export function comparisonDir(storeRoot: string, a: EvaluateModel, b: EvaluateModel, data: string): string {
  const name = `${a.title}-vs-${b.title}`.replace(/[^\w.-]+/g, '_').slice(0, 80);
  return path.join(storeRoot, 'evaluations', 'compare', `${name}-${shortHash(`${a.sha256}|${b.sha256}|${path.resolve(data)}`)}`);
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 10);
}

/** The one file hasher (the evaluate commands bind consent to it). */
export { sha256File } from '../platform/file-hash';

export interface JobProgress {
  stage: string;
  current: number;
  total: number;
}

export interface JobOutcome {
  status: 'completed' | 'failed' | 'cancelled' | 'crashed';
  exitCode?: number;
  durationMs: number;
  /** One line for the user (the runner's own message for bad input). */
  error?: string;
  /** evaluate: the written evaluation.json / comparison.json. */
  resultPath?: string;
  /** smoke: its result line. */
  result?: Record<string, unknown>;
  stderr: string[];
}

export interface PythonJob {
  label: string;
  onProgress(listener: (p: JobProgress) => void): void;
  /** SIGTERM, then SIGKILL when it has not ended after the grace. */
  cancel(): void;
  finished: Promise<JobOutcome>;
}

export interface JobOptions {
  python: string;
  /** python-runner/ (first on PYTHONPATH, so the bundled mlwb is used). */
  runnerDir: string;
  storeDir: string;
  cwd: string;
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

const STDERR_TAIL = 40;

export function launchEvaluate(request: EvaluateRequest, opts: JobOptions): PythonJob {
  const what = request.models.map((m) => m.title).join(' vs ');
  return launchPython(`evaluate ${what}`, evaluateArgs(request), opts);
}

/** `python -m mlwb signature`: the input columns of a CSV (the target left out); its one line is the outcome's `result`. */
export function launchSignature(request: { data: string; target?: string }, opts: JobOptions): PythonJob {
  const args = ['-m', 'mlwb', 'signature', '--data', request.data, ...(request.target ? ['--target', request.target] : [])];
  return launchPython(`signature ${path.basename(request.data)}`, args, opts);
}

export function launchSmoke(request: SmokeRequest, opts: JobOptions): PythonJob {
  return launchPython(`smoke ${request.model.title}`, smokeArgs(request), opts);
}

function launchPython(label: string, args: string[], opts: JobOptions): PythonJob {
  const base = opts.env ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: [opts.runnerDir, base.PYTHONPATH].filter(Boolean).join(path.delimiter),
    MLWB_STORE: opts.storeDir,
    PYTHONUNBUFFERED: '1',
  };
  delete env.MLWB_RPC_PIPE; // stdout is the channel: a pipe name inherited from a run would be wrong
  delete env.MLWB_RPC_SECRET; // nor is a run's session secret passed on
  const started = Date.now();
  let child: ChildProcess;
  const listeners: ((p: JobProgress) => void)[] = [];
  const stderr: string[] = [];
  let resultPath: string | undefined;
  let runnerError: { error: string; exitCode?: number } | undefined;
  let result: Record<string, unknown> | undefined;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;

  child = spawn(opts.python, args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.log(`${label}: ${opts.python} ${args.join(' ')} (pid ${child.pid ?? '?'})`);

  const onLine = (line: string) => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      opts.log(`${label}: ${line}`);
      return;
    }
    if (typeof obj !== 'object' || obj === null) return;
    const o = obj as Record<string, unknown>;
    if (o.kind === 'evaluateProgress' && typeof o.stage === 'string' && typeof o.current === 'number' && typeof o.total === 'number') {
      const p = { stage: o.stage, current: o.current, total: o.total };
      for (const l of listeners) l(p);
    } else if (o.kind === 'evaluateResult' && typeof o.path === 'string') {
      resultPath = o.path;
    } else if (o.kind === 'evaluateError' && typeof o.error === 'string') {
      runnerError = { error: o.error, exitCode: typeof o.exitCode === 'number' ? o.exitCode : undefined };
    } else if (o.format === 1) {
      result = o; // smoke's one line
      if (typeof o.error === 'string') runnerError = { error: o.error, exitCode: typeof o.exitCode === 'number' ? o.exitCode : undefined };
    }
  };
  lines(child.stdout, onLine);
  lines(child.stderr, (line) => {
    opts.log(`${label}: ${line}`);
    stderr.push(line);
    if (stderr.length > STDERR_TAIL) stderr.shift();
  });

  const finished = new Promise<JobOutcome>((resolve) => {
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (done) return;
      done = true;
      if (killTimer) clearTimeout(killTimer);
      const durationMs = Date.now() - started;
      const exitCode = code ?? undefined;
      let outcome: JobOutcome;
      if (spawnError) outcome = { status: 'crashed', durationMs, error: `could not start ${opts.python}: ${spawnError.message}`, stderr };
      else if (code === 0 && (resultPath || result)) outcome = { status: 'completed', exitCode: 0, durationMs, resultPath, result, stderr };
      else if (cancelled || code === 130) outcome = { status: 'cancelled', exitCode, durationMs, stderr };
      else {
        const tail = stderr.filter((l) => l.trim()).slice(-1)[0];
        const error = runnerError?.error ?? (tail ? `${tail}` : `the Python process ended (exit ${code ?? signal}) without a result`);
        outcome = { status: code === 2 ? 'failed' : 'crashed', exitCode, durationMs, error: error.slice(0, 500), stderr, result };
      }
      opts.log(`${label}: ${outcome.status} (exit ${exitCode ?? signal ?? '-'}, ${durationMs} ms)${outcome.error ? `: ${outcome.error}` : ''}`);
      resolve(outcome);
    };
    child.once('error', (err) => finish(null, null, err));
    // 'close' (not 'exit'): every stdout line has been read by then.
    child.once('close', (code, signal) => finish(code, signal));
  });

  return {
    label,
    onProgress: (l) => listeners.push(l),
    cancel: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      cancelled = true;
      opts.log(`${label}: cancelling (SIGTERM to pid ${child.pid ?? '?'})`);
      child.kill('SIGTERM');
      killTimer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, opts.killGraceMs ?? 5000);
    },
    finished,
  };
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split(/\r?\n/);
    partial = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) onLine(p);
  });
  stream.on('end', () => {
    if (partial.trim()) onLine(partial);
    partial = '';
  });
}
