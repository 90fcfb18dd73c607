import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import * as path from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { PIPE_ENV, SECRET_ENV } from '../runner/protocol';
import { channelEnv, openRunnerChannel, type RunnerChannel } from '../runner/rpc-channel';
import { linkRunner } from './runner-link';
import { followOutput, parseServeLine, type ServeEnd, type ServeReady } from './serve-lines';

export const TOKEN_ENV = 'MLWB_SERVE_TOKEN';
const STDERR_TAIL = 60;

export interface ServeOptions {
  python: string;
  /** python-runner/: put first on PYTHONPATH, so the bundled `mlwb` is used without a pip install. */
  runnerDir: string;
  model: string;
  /** The sha256 the user agreed to (a pickle): the server refuses other bytes. */
  sha256?: string;
  name: string;
  version: string;
  host: string;
  port: number;
  /** Required by the server from clients (passed in the environment, never on the command line). */
  token?: string;
  maxBatch: number;
  maxWaitMs: number;
  maxBodyMb: number;
  cwd?: string;
  baseEnv?: NodeJS.ProcessEnv;
  /** Open the JSON-RPC pipe (the server stops itself when it closes: no server outlives VS Code). */
  pipe?: boolean;
  /** A signature file (`{format: 1, columns}`): requests that do not match get a 422 listing each column's problem. */
  signature?: string;
  /** A binary classifier's decision threshold on P(positive). */
  threshold?: number;
}

export type ServeState = 'starting' | 'running' | 'stopping' | 'stopped' | 'died';

/** How a server ended. `requested`: Stop was asked; anything else is a death, reported. */
export interface ServeExit {
  state: 'stopped' | 'died';
  requested: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** One line for the user: why it ended. */
  reason: string;
  /** The server's own `stopped`/`error` line, when it printed one. */
  end?: ServeEnd;
}

export interface ServeProcessEvents {
  state: [ServeState];
  ready: [ServeReady];
  stderr: [string];
  exit: [ServeExit];
}

/**
 * The runner's rule (mlwb/_serve.py#is_loopback): localhost and loopback addresses need no token; any other
 * address does. One table of cases for both: python-runner/tests/data/serve/loopback-cases.json.
 */
export function isLoopback(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) {
    h = h.slice(1, -1);
    if (!h.includes(':')) return false; // brackets only around an IPv6 address
  }
  if (h === 'localhost') return true;
  const v4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(h);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === '127';
  if (!isIPv6(h)) return false;
  return new URL(`http://[${h}]/`).hostname === '[::1]';
}

/** Command line and environment of `python -m mlwb serve`. */
export function serveInvocation(o: ServeOptions, channel?: Pick<RunnerChannel, 'pipeName' | 'secret'>) {
  const base = o.baseEnv ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: [o.runnerDir, base.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONUNBUFFERED: '1',
  };
  delete env[TOKEN_ENV];
  delete env[PIPE_ENV];
  delete env[SECRET_ENV];
  if (o.token) env[TOKEN_ENV] = o.token;
  Object.assign(env, channelEnv(channel));
  const args = [
    '-m', 'mlwb', 'serve', '--model', o.model, '--host', o.host, '--port', String(o.port),
    '--max-batch', String(o.maxBatch), '--max-wait-ms', String(o.maxWaitMs), '--max-body-mb', String(o.maxBodyMb),
    '--name', o.name, '--version', o.version,
    ...(o.signature ? ['--signature', o.signature] : []),
    ...(o.threshold !== undefined ? ['--threshold', String(o.threshold)] : []),
  ];
  if (o.sha256) args.push('--model-sha256', o.sha256);
  return { command: o.python, args, env };
}

/**
 * One `python -m mlwb serve` child process (no terminal): reads its ready line, keeps its stderr tail,
 * stops it (SIGTERM, then SIGKILL after a grace) and tells a requested stop from a death. No `vscode`.
 */
export class ServeProcess extends EventEmitter<ServeProcessEvents> {
  state: ServeState = 'starting';
  ready: ServeReady | undefined;
  exit: ServeExit | undefined;
  readonly stderrTail: string[] = [];
  readonly startedAt = Date.now();
  private end: ServeEnd | undefined;
  private stopRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly exited: Promise<ServeExit>;

  private constructor(
    readonly child: ChildProcess,
    private readonly channel: RunnerChannel | undefined,
    warn: (m: string) => void,
  ) {
    super();
    this.exited = new Promise((resolve) => this.once('exit', resolve));
    followOutput(child, {
      stdout: (line) => this.stdoutLine(line),
      stderr: (line) => this.emit('stderr', line),
      tail: this.stderrTail,
      tailSize: STDERR_TAIL,
      end: (code, signal) => this.finish(code, signal),
    });
    channel?.connected.then(
      (c: MessageConnection) =>
        linkRunner(c, channel!.secret, {
          warn,
          ready: (r) => this.becomeReady(r),
          stopped: () => undefined, // stdout's last line and the exit say the same, in order
        }),
      () => undefined, // never connected: stdout and the exit code still tell everything
    );
  }

  static async start(o: ServeOptions, warn: (m: string) => void = () => undefined): Promise<ServeProcess> {
    const channel = o.pipe === false ? undefined : await openRunnerChannel(30_000).catch((e: Error) => {
      warn(`serving without the pipe: ${e.message}`);
      return undefined;
    });
    const { command, args, env } = serveInvocation(o, channel);
    const child = spawn(command, args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    return new ServeProcess(child, channel, warn);
  }

  get pid(): number | undefined {
    return this.ready?.pid ?? this.child.pid;
  }

  /** Resolves once listening; rejects with the server's own error when it ends first. */
  whenReady(): Promise<ServeReady> {
    if (this.ready) return Promise.resolve(this.ready);
    if (this.exit) return Promise.reject(new Error(this.exit.reason));
    return new Promise((resolve, reject) => {
      const onReady = (r: ServeReady) => {
        this.off('exit', onExit);
        resolve(r);
      };
      const onExit = (e: ServeExit) => {
        this.off('ready', onReady);
        reject(new Error(e.reason));
      };
      this.once('ready', onReady);
      this.once('exit', onExit);
    });
  }

  /** SIGTERM (the server drains and says "stopped"), then SIGKILL after `graceMs`. */
  stop(graceMs = 5000): Promise<ServeExit> {
    if (this.exit) return Promise.resolve(this.exit);
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.setState('stopping');
      this.signal('SIGTERM');
      this.killTimer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      this.killTimer.unref?.();
    }
    return this.exited;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exit) return;
    try {
      this.child.kill(sig);
    } catch {
      // Already gone.
    }
  }

  private stdoutLine(line: string): void {
    const event = parseServeLine(line);
    if (!event) {
      this.emit('stderr', `(stdout) ${line}`);
      return;
    }
    if (event.event === 'ready') this.becomeReady(event);
    else this.end = event;
  }

  private becomeReady(r: ServeReady): void {
    if (this.ready || this.exit) return;
    this.ready = r;
    this.setState(this.stopRequested ? 'stopping' : 'running');
    this.emit('ready', r);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exit) return;
    clearTimeout(this.killTimer);
    this.channel?.close();
    const died = !this.stopRequested;
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    const said = this.end?.error ?? (died ? this.stderrTail.filter((l) => !l.startsWith('(stdout)')).slice(-3).join(' ') : '');
    const reason = !died
      ? `stopped (${how})`
      : !this.ready
        ? `could not start (${how})${said ? `: ${said}` : ''}`
        : `stopped unexpectedly (${how}${this.end?.reason ? `, ${this.end.reason}` : ''})${said ? `: ${said}` : ''}`;
    this.exit = { state: died ? 'died' : 'stopped', requested: !died, exitCode: code, signal, reason, end: this.end };
    this.setState(this.exit.state);
    this.emit('exit', this.exit);
  }

  private setState(s: ServeState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }
}
