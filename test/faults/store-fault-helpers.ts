// Shared by the store fault tests: real temp stores, the real Python SDK, a seeded PRNG, and an
// independent reading of a journal (no store code) to compare the index against.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrackingStore, type OpenOptions } from '../../src/store/tracking-store';
import { snapshot } from '../unit/store/snapshot';
import { Prng } from './fuzz-helpers';

export const WASM = require.resolve('sql.js/dist/sql-wasm.wasm');
export const PYTHON = '/usr/bin/python3';
/** out/test/faults -> the repository. */
export const REPO = path.resolve(__dirname, '../../..');
export const PYTHONPATH = path.join(REPO, 'python-runner');

/** The fuzz tests' mulberry32 as a function: the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** MLWB_FAULT_SEED reproduces a run; the seed is printed either way. */
export function faultSeed(what: string, fallback: number): number {
  const seed = process.env.MLWB_FAULT_SEED ? Number(process.env.MLWB_FAULT_SEED) : fallback;
  console.log(`      ${what}: seed ${seed} (MLWB_FAULT_SEED=${seed} reproduces it)`);
  return seed;
}

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlwb-${prefix}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function openStore(root: string, opts: Partial<OpenOptions> = {}): Promise<TrackingStore> {
  return TrackingStore.open(root, { wasmPath: WASM, saveDelayMs: 60_000, ...opts });
}

/** A snapshot (test/unit/store/snapshot.ts) as JSON, with the store's root written as `root` (a copy's paths compare equal). */
export function snapshotAt(store: TrackingStore, root: string): unknown {
  return JSON.parse(JSON.stringify(snapshot(store)).split(JSON.stringify(store.layout.root).slice(1, -1)).join(JSON.stringify(path.resolve(root)).slice(1, -1)));
}

/** A store built from the journals alone: a copy without index and series cache, so nothing of them is reused. */
export async function rebuiltFromJournals(root: string): Promise<TrackingStore> {
  const copy = path.join(tempDir('rebuilt'), '.mlwb');
  fs.cpSync(root, copy, { recursive: true, filter: (src) => !/index\.(sqlite|series)/.test(path.basename(src)) });
  const store = await openStore(copy);
  if (!store.opened.rebuilt) throw new Error('expected a rebuild from the journals');
  return store;
}

export function pythonEnv(store: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MLWB_STORE: store, PYTHONPATH, PYTHONUNBUFFERED: '1' };
  delete env.MLWB_RPC_PIPE; // journal-only: no VS Code on the other end
  return env;
}

const children: ChildProcess[] = [];

export function spawnPython(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess {
  const child = spawn(PYTHON, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** SIGKILLs the processes a failed test left running (they would keep mocha alive and disks mounted). */
export async function killChildren(): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
}

/** Resolves with the first stdout line matching `re` (rejects if the process ends first). */
export function waitForLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr?.on('data', (d) => (err += d));
    const onData = (d: Buffer) => {
      buf += d;
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`process ended (${code ?? signal}) before ${re}: ${buf}${err}`)));
  });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A pid that surely belongs to no process now. */
export const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;

export interface JournalReading {
  /** Every complete line, parsed (a complete line that does not parse throws: that is corruption). */
  records: Record<string, unknown>[];
  /** Bytes after the last newline (a record cut by a crash), '' when none. */
  torn: string;
  /** Metric points per key, in journal order. */
  points: Map<string, { step: number[]; value: number[] }>;
}

/** Reads a journal with nothing of the store's code: the reference the index is compared with. */
export function readJournalIndependently(file: string): JournalReading {
  const text = fs.readFileSync(file, 'utf8');
  const cut = text.lastIndexOf('\n');
  const whole = text.slice(0, cut + 1);
  const records = whole
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`${file}: complete line ${i + 1} does not parse (${(err as Error).message}): ${l.slice(0, 200)}`);
      }
    });
  const points = new Map<string, { step: number[]; value: number[] }>();
  for (const r of records) {
    if (r.t !== 'metrics') continue;
    for (const [key, cols] of Object.entries(r.series as Record<string, { step: number[]; value: (number | string)[] }>)) {
      let p = points.get(key);
      if (!p) points.set(key, (p = { step: [], value: [] }));
      p.step.push(...cols.step);
      p.value.push(...cols.value.map(Number));
    }
  }
  return { records, torn: text.slice(cut + 1), points };
}

/** Every point of a series as the store serves it (one bucket per point: nothing downsampled). */
export function allPoints(store: TrackingStore, run: string, key: string): { step: number[]; value: number[] } {
  const count = store.getRun(run)?.metrics.find((m) => m.key === key)?.count ?? 0;
  const view = store.getSeries(run, key, { width: Math.max(1, count) });
  return { step: view?.step ?? [], value: view?.y ?? [] };
}

/** Files under `dir` with their bytes, for "nothing was touched" checks. */
export function fileBytes(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
