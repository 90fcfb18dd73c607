import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { writeSignature } from '../evaluate/signature';
import { log } from '../platform/log';
import type { ModelVersionDetail } from '../store';
import { isLoopback, servingSettings, type ServingSettings } from './serving-settings';
import { ServeProcess, type ServeExit, type ServeState } from './serve-process';
import { agreedSha256 } from './version-target';
import type { ServeReady } from './serve-lines';
import type { ServingLookup } from './serving-lookup';

const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 5000;
/** Context key: "model@version" of every running server (menus and the palette). */
export const SERVED_VERSIONS_CONTEXT = 'mlwb.servedVersions';
export const SERVING_CONTEXT = 'mlwb.serving';

export interface ServedVersion {
  readonly key: string;
  readonly model: string;
  readonly version: number;
  readonly filePath: string;
  readonly host: string;
  /** Required from clients when bound to a non-loopback address. */
  readonly token?: string;
  readonly process: ServeProcess;
  readonly ready?: ServeReady;
  readonly state: ServeState;
  readonly exit?: ServeExit;
}

export const versionKey = (model: string, version: number) => `${model}@${version}`;

/**
 * The model servers: one `python -m mlwb serve` child process per {model, version}, several at once.
 * A server that dies is reported (error with Show Log / Restart) and keeps its entry, state `died`,
 * until restarted or stopped; stderr goes to the output channel; dispose stops them all.
 */
export class ServerManager implements vscode.Disposable, ServingLookup {
  private readonly entries = new Map<string, ServedVersion>();
  private readonly changed = new vscode.EventEmitter<ServedVersion>();
  /** Fires on every state change of a server (starting, running, stopping, stopped, died). */
  readonly onDidChange = this.changed.event;
  private readonly servingChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeServing = this.servingChanged.event;

  constructor(private readonly runnerDir: string) {}

  get servers(): ServedVersion[] {
    return [...this.entries.values()];
  }

  get running(): ServedVersion[] {
    return this.servers.filter((s) => s.state === 'running');
  }

  get(model: string, version: number): ServedVersion | undefined {
    return this.entries.get(versionKey(model, version));
  }

  isServing(model: string, version: number): boolean {
    return this.get(model, version)?.state === 'running';
  }

  servedOn(model: string, version: number): { port: number; url: string } | undefined {
    const s = this.get(model, version);
    return s?.state === 'running' && s.ready ? { port: s.ready.port, url: s.ready.url } : undefined;
  }

  /**
   * Starts serving a version (or returns its running server) and waits until it listens.
   * Throws with the server's own words when it cannot start.
   */
  async serve(v: ModelVersionDetail, python: string, overrides: Partial<Pick<ServingSettings, 'host' | 'port'>> = {}): Promise<ServedVersion> {
    const key = versionKey(v.model, v.version);
    const existing = this.entries.get(key);
    if (existing && (existing.state === 'running' || existing.state === 'starting')) {
      await existing.process.whenReady();
      return this.entries.get(key)!;
    }
    const settings = { ...servingSettings(), ...overrides };
    // A fixed port serves one version; the others get free ports rather than failing to bind.
    const portTaken = settings.port !== 0 && this.running.some((s) => s.ready?.port === settings.port);
    const port = portTaken ? 0 : settings.port;
    if (portTaken) log().info(`serve ${key}: port ${settings.port} is used by another served version; using a free one`);
    const token = isLoopback(settings.host) ? undefined : randomBytes(24).toString('base64url');
    const label = `serve ${v.model} v${v.version}`;
    const proc = await ServeProcess.start(
      {
        python, runnerDir: this.runnerDir, model: v.filePath, sha256: agreedSha256(v), name: v.model, version: String(v.version),
        host: settings.host, port, token, maxBatch: settings.maxBatch, maxWaitMs: settings.maxWaitMs, maxBodyMb: settings.maxBodyMb,
        ...(v.signature ? { signature: writeSignature(v) } : {}),
        ...(v.threshold !== undefined ? { threshold: v.threshold } : {}),
      },
      (m) => log().warn(`${label}: ${m}`),
    );
    log().info(`${label}: ${python} -m mlwb serve --model ${v.filePath} --host ${settings.host} --port ${port} (pid ${proc.child.pid})${token ? ' with a bearer token' : ''}`);
    const entry: ServedVersion = { key, model: v.model, version: v.version, filePath: v.filePath, host: settings.host, token, process: proc, state: 'starting' };
    this.entries.set(key, entry);
    this.follow(entry);
    this.update(entry);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        proc.whenReady(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`it did not listen within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      if (this.entries.get(key)?.process === proc) this.entries.delete(key);
      void proc.stop(STOP_GRACE_MS);
      this.fireServing();
      throw new Error(`${v.model} v${v.version} ${(err as Error).message.replace(/^could not start/, 'could not be served')}`);
    } finally {
      clearTimeout(timer);
    }
    return this.entries.get(key)!;
  }

  /** Stops a version's server (SIGTERM, SIGKILL after a grace) and forgets it. */
  async stop(model: string, version: number): Promise<ServeExit | undefined> {
    const entry = this.get(model, version);
    if (!entry) return undefined;
    const exit = await entry.process.stop(STOP_GRACE_MS);
    if (this.entries.get(entry.key)?.process === entry.process) {
      this.entries.delete(entry.key);
      this.fireServing();
      this.changed.fire(this.snapshot(entry));
    }
    return exit;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((s) => this.stop(s.model, s.version)));
  }

  private follow(entry: ServedVersion): void {
    const proc = entry.process;
    const label = `[serve ${entry.model} v${entry.version}]`;
    proc.on('stderr', (line) => log().info(`${label} ${line}`));
    proc.on('state', () => this.update(entry));
    proc.on('ready', (r) => log().info(`${label} listening at ${r.url} (pid ${r.pid}, ${r.modelClass})`));
    proc.on('exit', (exit) => {
      log()[exit.requested ? 'info' : 'error'](`${label} ${exit.reason}`);
      // A start that failed is reported by the command that started it; a death after it listened is reported here.
      if (!exit.requested && proc.ready && this.entries.get(entry.key)?.process === proc) void this.reportDeath(entry, exit);
    });
  }

  private async reportDeath(entry: ServedVersion, exit: ServeExit): Promise<void> {
    const pick = await vscode.window.showErrorMessage(`Model server ${entry.model} v${entry.version} ${exit.reason}`, 'Show Log', 'Restart');
    if (pick === 'Show Log') log().show(true);
    else if (pick === 'Restart') await vscode.commands.executeCommand('mlwb.serveVersion', { model: entry.model, version: entry.version }, { confirm: false });
  }

  /** The entry's live fields, copied from its process (entries are replaced, never mutated in place). */
  private snapshot(entry: ServedVersion): ServedVersion {
    const p = entry.process;
    return { ...entry, state: p.state, ready: p.ready, exit: p.exit };
  }

  private update(entry: ServedVersion): void {
    const current = this.entries.get(entry.key);
    if (!current || current.process !== entry.process) return;
    const next = this.snapshot(current);
    this.entries.set(entry.key, next);
    this.fireServing();
    this.changed.fire(next);
  }

  private fireServing(): void {
    const served = this.running.map((s) => s.key);
    void vscode.commands.executeCommand('setContext', SERVED_VERSIONS_CONTEXT, served);
    void vscode.commands.executeCommand('setContext', SERVING_CONTEXT, this.entries.size > 0);
    this.servingChanged.fire();
  }

  /** Deactivation: every server is asked to stop (and the closing pipe stops any that missed it). */
  dispose(): void {
    for (const s of this.entries.values()) void s.process.stop(STOP_GRACE_MS);
    this.entries.clear();
    this.changed.dispose();
    this.servingChanged.dispose();
  }
}
