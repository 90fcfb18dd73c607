import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrackingStore, type OpenOptions } from '../../../src/store/tracking-store';
import { JOURNAL_VERSION, type JsonNumber, type LogLevel, type RunManifest, type RunStatus } from '../../../src/store/records';

/** Fixture stores written the way the Python SDK writes them (records.ts), in real temp dirs. */

export const WASM = require.resolve('sql.js/dist/sql-wasm.wasm');

const made: string[] = [];

export function tempStore(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-store-'));
  made.push(dir);
  return path.join(dir, '.mlwb');
}

export function removeTempStores(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function openStore(root: string, opts: Partial<OpenOptions> = {}): Promise<TrackingStore> {
  return TrackingStore.open(root, { wasmPath: WASM, saveDelayMs: 60_000, ...opts });
}

export const now = (): number => Date.now() / 1000;

export interface RunFixture {
  id: string;
  experiment?: string;
  name?: string;
  created?: number;
  host?: string;
  pid?: number;
  tags?: string[];
  parent?: string;
  /** run.json's script.path (default train.py). */
  script?: string;
}

export function appendLines(file: string, records: readonly unknown[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** A run as the SDK writes it: run.json once, then events.jsonl appended. Defaults: alive, this process. */
export class RunWriter {
  readonly dir: string;
  readonly journal: string;
  readonly manifest: RunManifest;

  constructor(root: string, f: RunFixture) {
    this.dir = path.join(root, 'runs', f.id);
    this.journal = path.join(this.dir, 'events.jsonl');
    const exp = f.experiment ?? 'default';
    this.manifest = {
      v: JOURNAL_VERSION,
      id: f.id,
      name: f.name ?? `train-${f.id.slice(-6)}`,
      experiment: { id: exp, name: exp.split('/').pop() ?? exp },
      created: f.created ?? now(),
      script: { path: f.script ?? 'train.py', sha256: 'abc' },
      argv: ['train.py', '--lr', '0.1'],
      cwd: '/work',
      host: f.host ?? os.hostname(),
      pid: f.pid ?? process.pid,
      python: { executable: '/usr/bin/python3', version: '3.11.2', packages: { sklearn: '1.2.1' } },
      git: { commit: 'deadbeef', branch: 'main', dirty: false },
      tags: f.tags,
      ...(f.parent !== undefined ? { parent: f.parent } : {}),
    };
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'run.json'), JSON.stringify(this.manifest));
    this.events({ t: 'status', status: 'running', ts: this.manifest.created });
  }

  /** Appends records (v and ts filled in unless given). */
  events(...records: Record<string, unknown>[]): this {
    appendLines(this.journal, records.map((r) => ({ v: JOURNAL_VERSION, ts: now(), ...r })));
    return this;
  }

  raw(text: string): this {
    fs.appendFileSync(this.journal, text);
    return this;
  }

  params(values: Record<string, unknown>): this {
    return this.events({ t: 'params', values });
  }

  /** One metrics record per batch of `batch` points, as the SDK flushes them. */
  metric(key: string, values: readonly JsonNumber[], opts: { firstStep?: number; batch?: number; t0?: number } = {}): this {
    const batch = opts.batch ?? 1000;
    const first = opts.firstStep ?? 0;
    const t0 = opts.t0 ?? this.manifest.created;
    for (let i = 0; i < values.length; i += batch) {
      const part = values.slice(i, i + batch);
      const step = part.map((_, j) => first + i + j);
      this.events({ t: 'metrics', series: { [key]: { step, value: part, time: step.map((s) => t0 + s * 0.01) } } });
    }
    return this;
  }

  log(level: LogLevel, msg: string, stream?: 'stdout' | 'stderr'): this {
    return this.events({ t: 'log', level, msg, ...(stream ? { stream } : {}) });
  }

  finish(status: RunStatus = 'completed', extra: Record<string, unknown> = {}): this {
    return this.events({ t: 'status', status, ...extra });
  }
}
