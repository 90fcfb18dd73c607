import { EventEmitter } from 'node:events';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { RunStatus } from '../store/records';
import { answerHandshake, responseError, type RunnerChannel } from './rpc-channel';
import {
  type CancelResult, type FeatureEvent, type HandshakeParams, type HandshakeResult, type ProgressParams, type RunFinishedParams,
  type RunStartedParams, type SystemInfo,
} from './protocol';

const CLOSE_DRAIN_MS = 300;
/** The statuses a run ends with when it says how (`crashed` is what the extension concludes otherwise). */
export const FINISHED_STATUSES: readonly RunFinishedParams['status'][] = ['completed', 'failed', 'cancelled'];

/** What a run came to. `crashed`: the runner went away without saying "finished". */
export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  exitCode?: number;
  durationMs: number;
  error?: string;
  traceback?: string;
  /** The process had to be killed after a cancel: its journal has no final status of its own. */
  killed?: boolean;
}

export interface RunSessionEvents {
  connected: [HandshakeParams];
  started: [RunStartedParams];
  progress: [ProgressParams];
  flushed: [number];
  log: [string];
  claimed: [string];
  feature: [FeatureEvent];
  finished: [RunOutcome];
}

export interface SessionOptions {
  cancelGraceMs: number;
  killGraceMs: number;
  /** Sends a signal to the runner's process (tests and platforms may differ). */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  /**
   * A job that is not a run (`python -m mlwb explain`): it sends no run/started, so `runId` stays
   * what the caller set (or undefined) and messages name the job by this label.
   */
  job?: string;
}

/**
 * One run launched by the extension, seen through its JSON-RPC channel: validates what the runner
 * sends, turns it into events, and owns cancellation (ask, then SIGTERM, then SIGKILL).
 * The outcome comes from the runner's "finished", never from a terminal's exit code. A job without
 * a run (SessionOptions.job) is followed the same way, from the handshake to "finished".
 */
export class RunSession extends EventEmitter<RunSessionEvents> {
  runId: string | undefined;
  pid: number | undefined;
  outcome: RunOutcome | undefined;
  private connection: MessageConnection | undefined;
  private readonly startedAt = Date.now();
  private cancelRequested = false;
  private killTimers: NodeJS.Timeout[] = [];

  constructor(
    readonly channel: RunnerChannel,
    private readonly opts: SessionOptions,
    private readonly warn: (message: string) => void,
  ) {
    super();
    channel.connected.then(
      (c) => this.attach(c),
      (err: Error) => this.finish({ status: 'crashed', durationMs: this.elapsed(), error: err.message }),
    );
  }

  /** How messages name it: the run, else the job's label. */
  get name(): string {
    return this.runId ? `run ${this.runId}` : this.opts.job ?? 'run ?';
  }

  get running(): boolean {
    return this.outcome === undefined;
  }

  /** Asks the runner to stop the script (as Ctrl+C would), then escalates if it does not. */
  async cancel(reason = 'cancelled from VS Code'): Promise<void> {
    if (!this.running || this.cancelRequested) return;
    this.cancelRequested = true;
    const escalate = (signal: NodeJS.Signals, after: number) =>
      this.killTimers.push(
        setTimeout(() => {
          if (!this.running || this.pid === undefined) return;
          this.warn(`${this.name}: still running after cancel; sending ${signal} to ${this.pid}`);
          try {
            (this.opts.kill ?? process.kill)(this.pid, signal);
          } catch {
            // Already gone.
          }
        }, after),
      );
    escalate('SIGTERM', this.opts.cancelGraceMs);
    escalate('SIGKILL', this.opts.cancelGraceMs + this.opts.killGraceMs);
    try {
      const result = await this.connection?.sendRequest<CancelResult>('run/cancel', { reason });
      if (result && !result.accepted) this.warn(`${this.name}: the runner refused to cancel`);
    } catch (err) {
      this.warn(`${this.name}: cancel request failed (${(err as Error).message}); escalating`);
    }
  }

  async systemInfo(): Promise<SystemInfo> {
    if (!this.connection) throw new Error('the runner is not connected');
    return this.connection.sendRequest<SystemInfo>('system/info', {});
  }

  dispose(): void {
    for (const t of this.killTimers) clearTimeout(t);
    this.channel.close();
    this.removeAllListeners();
  }

  private attach(c: MessageConnection): void {
    this.connection = c;
    let trusted = false;
    c.onRequest('runner/handshake', (p: unknown): HandshakeResult => {
      const { result, params } = answerHandshake(p, this.channel.secret);
      if (!params) {
        this.warn(`${this.name}: ${result.reason}`);
        return result;
      }
      trusted = true;
      this.pid = params.pid;
      this.emit('connected', params);
      return result;
    });
    let ignored = false;
    const untrusted = (method: string) => {
      if (!ignored) this.warn(`${this.name}: ignored ${method} from a connection without an accepted handshake`);
      ignored = true;
    };
    const on = <T>(method: string, valid: (p: Record<string, unknown>) => boolean, handle: (p: T) => void) =>
      c.onNotification(method, (p: unknown) => {
        if (!trusted) return untrusted(method);
        if (!isObject(p) || !valid(p)) return this.warn(`${this.name}: runner sent a malformed ${method}: ${JSON.stringify(p)?.slice(0, 200)}`);
        handle(p as T);
      });
    const str = (k: string) => (p: Record<string, unknown>) => typeof p[k] === 'string';
    on<RunStartedParams>('run/started', str('runId'), (p) => {
      this.runId = p.runId;
      this.pid ??= p.pid;
      this.emit('started', p);
    });
    on<ProgressParams>('run/progress', (p) => typeof p.current === 'number', (p) => this.emit('progress', p));
    on<{ offset: number }>('run/journalFlushed', (p) => typeof p.offset === 'number', (p) => this.emit('flushed', p.offset));
    on<{ level: string; message: string }>('run/log', str('message'), (p) => this.emit('log', `[${p.level}] ${p.message}`));
    on<{ experiment: { id: string } }>('run/claimed', (p) => isObject(p.experiment), (p) => this.emit('claimed', p.experiment.id));
    on<{ event: FeatureEvent }>('run/event', (p) => isObject(p.event) && typeof (p.event as { kind?: unknown }).kind === 'string', (p) => this.emit('feature', p.event));
    c.onRequest('run/finished', (p: unknown) => {
      if (!trusted) {
        untrusted('run/finished');
        throw responseError(-32600, 'run/finished before an accepted handshake');
      }
      const f = p as RunFinishedParams;
      if (!isObject(p) || !FINISHED_STATUSES.includes(f.status) || !Number.isInteger(f.exitCode)) {
        throw responseError(-32602, `run/finished needs a status (${FINISHED_STATUSES.join(', ')}) and an integer exitCode`);
      }
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      this.finish({
        status: f.status, exitCode: f.exitCode, durationMs: typeof f.durationMs === 'number' ? f.durationMs : this.elapsed(), error: text(f.error), traceback: text(f.traceback),
      });
      return null;
    });
    c.onUnhandledNotification((n) => this.warn(`${this.name}: runner sent an unknown notification ${n.method}`));
    // Frames that are not JSON-RPC (bad Content-Length, not JSON): vscode-jsonrpc drops them and says so here.
    c.onError(([err]) => this.warn(`${this.name}: unreadable message from the runner: ${err.message.slice(0, 200)}`));
    // vscode-jsonrpc reports the close before it dispatches messages still queued: let them drain
    // (run/finished itself is a request the runner waits on, so it cannot be overtaken).
    c.onClose(() => {
      const elapsed = this.elapsed();
      setTimeout(() => {
        this.channel.close();
        if (!this.running) return;
        this.finish(
          this.cancelRequested
            ? { status: 'cancelled', durationMs: elapsed, error: 'killed after it did not stop when cancelled', killed: true }
            : { status: 'crashed', durationMs: elapsed, error: 'the Python process ended without reporting how the run finished (killed?)' },
        );
      }, CLOSE_DRAIN_MS);
    });
    c.listen();
  }

  private finish(outcome: RunOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    for (const t of this.killTimers) clearTimeout(t);
    this.emit('finished', outcome);
  }

  private elapsed(): number {
    return Date.now() - this.startedAt;
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
