import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { PIPE_ENV, SECRET_ENV, type CancelResult } from '../runner/protocol';
import { channelEnv, openRunnerChannel, type RunnerChannel } from '../runner/rpc-channel';
import { linkRunner } from './runner-link';
import { followOutput, parsePredictLine, type PredictResult } from './serve-lines';

export interface PredictOptions {
  python: string;
  runnerDir: string;
  model: string;
  /** The sha256 the user agreed to (a pickle): the runner refuses other bytes. */
  sha256?: string;
  input: string;
  /** Default: `<input stem>.predictions.csv` beside the input. */
  output?: string;
  chunkRows?: number;
  proba?: boolean;
  jobId: string;
  cwd?: string;
  baseEnv?: NodeJS.ProcessEnv;
  pipe?: boolean;
}

export interface PredictProgress {
  rows: number;
  bytesRead: number;
  bytesTotal: number;
  fraction: number;
}

export interface PredictJobEvents {
  progress: [PredictProgress];
  stderr: [string];
  done: [PredictResult];
}

/** Where `python -m mlwb predict` writes by default (the same rule as the runner's). */
export function defaultPredictionsPath(input: string): string {
  const dir = path.dirname(path.resolve(input));
  const base = path.basename(input);
  const stem = base.toLowerCase().endsWith('.csv') ? base.slice(0, -4) : base;
  return path.join(dir, `${stem}.predictions.csv`);
}

export function predictInvocation(o: PredictOptions, output: string, channel?: Pick<RunnerChannel, 'pipeName' | 'secret'>) {
  const base = o.baseEnv ?? process.env;
  const env: NodeJS.ProcessEnv = { ...base, PYTHONPATH: [o.runnerDir, base.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONUNBUFFERED: '1' };
  delete env[PIPE_ENV];
  delete env[SECRET_ENV];
  Object.assign(env, channelEnv(channel));
  const args = ['-m', 'mlwb', 'predict', '--model', o.model, '--input', o.input, '--output', output, '--job-id', o.jobId];
  if (o.chunkRows) args.push('--chunk-rows', String(o.chunkRows));
  if (o.proba) args.push('--proba');
  if (o.sha256) args.push('--model-sha256', o.sha256);
  return { command: o.python, args, env };
}

/**
 * A batch prediction: `python -m mlwb predict` as a child process, its progress over the pipe, cancel
 * (asked over the pipe, between chunks; SIGINT without one; SIGKILL after a grace). The runner writes
 * `<output>.part` and renames it when whole; a killed job's part file is removed here. No `vscode`.
 */
export class PredictJob extends EventEmitter<PredictJobEvents> {
  progress: PredictProgress | undefined;
  result: PredictResult | undefined;
  readonly finished: Promise<PredictResult>;
  private connection: MessageConnection | undefined;
  private cancelled = false;
  private killTimer: NodeJS.Timeout | undefined;
  private lastLine: PredictResult | undefined;
  private readonly stderrTail: string[] = [];

  private constructor(
    readonly options: PredictOptions,
    readonly output: string,
    readonly child: ChildProcess,
    private readonly channel: RunnerChannel | undefined,
    warn: (m: string) => void,
  ) {
    super();
    this.finished = new Promise((resolve) => this.once('done', resolve));
    followOutput(child, {
      stdout: (line) => {
        const r = parsePredictLine(line);
        if (r) this.lastLine = r;
      },
      stderr: (line) => this.emit('stderr', line),
      tail: this.stderrTail,
      tailSize: 20,
      end: (code, signal) => this.finish(code, signal),
    });
    channel?.connected.then(
      (c) => {
        this.connection = c;
        linkRunner(c, channel!.secret, {
          warn,
          event: (runId, e) => {
            if (runId !== options.jobId) return;
            if (e.kind === 'predictProgress') {
              this.progress = { rows: e.rows, bytesRead: e.bytesRead, bytesTotal: e.bytesTotal, fraction: e.fraction };
              this.emit('progress', this.progress);
            }
          },
        });
      },
      () => undefined,
    );
  }

  static async start(o: PredictOptions, warn: (m: string) => void = () => undefined): Promise<PredictJob> {
    const output = path.resolve(o.output ?? defaultPredictionsPath(o.input));
    const channel = o.pipe === false ? undefined : await openRunnerChannel(30_000).catch((e: Error) => {
      warn(`predicting without the pipe: ${e.message}`);
      return undefined;
    });
    const { command, args, env } = predictInvocation(o, output, channel);
    const child = spawn(command, args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    return new PredictJob(o, output, child, channel, warn);
  }

  get running(): boolean {
    return this.result === undefined;
  }

  /** Stops between chunks (the partial output is removed); killed if it does not stop within `graceMs`. */
  async cancel(graceMs = 10_000): Promise<void> {
    if (!this.running || this.cancelled) return;
    this.cancelled = true;
    this.killTimer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    this.killTimer.unref?.();
    try {
      const answer = this.connection ? await this.connection.sendRequest<CancelResult>('run/cancel', { reason: 'cancelled from VS Code' }) : undefined;
      if (answer?.accepted) return;
    } catch {
      // The pipe is gone: fall back to the signal.
    }
    if (this.running) this.child.kill('SIGINT');
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.result) return;
    clearTimeout(this.killTimer);
    this.channel?.close();
    let result = this.lastLine;
    if (!result) {
      // Killed, or it never got to say: whatever it wrote is partial.
      fs.rm(`${this.output}.part`, { force: true }, () => undefined);
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      result = {
        status: this.cancelled ? 'cancelled' : 'error',
        rows: this.progress?.rows ?? 0,
        output: null,
        exitCode: code ?? 1,
        error: this.cancelled ? undefined : `the predict process ended without a result (${why})${this.stderrTail.length ? `: ${this.stderrTail.slice(-3).join(' ')}` : ''}`,
      };
    }
    this.result = result;
    this.emit('done', result);
  }
}
