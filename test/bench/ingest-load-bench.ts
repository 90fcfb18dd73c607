// Load: 1,000 runs × 10,000 points ingested in the extension host's process, and how long the event
// loop (the UI's responsiveness) is held meanwhile, against a plain JSON.parse of the same journals.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { JOURNAL_VERSION } from '../../src/store/records';
import { TrackingStore } from '../../src/store/tracking-store';
import { figure, type Figure } from './figure';

const RUNS = Number(process.env.MLWB_BENCH_LOAD_RUNS ?? 1000);
const POINTS = 10_000;
const BATCH = 1000;

export async function bench(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-bench-load-'));
  try {
    const root = path.join(tmp, '.mlwb');
    const journals = writeRuns(root, RUNS, POINTS);
    const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

    const baseline = await withLoopDelay(async () => {
      for (const file of journals) {
        for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line) JSON.parse(line);
        await new Promise((r) => setImmediate(r)); // the friendliest plain loop: one file per turn
      }
    });
    let store: TrackingStore | undefined;
    const ours = await withLoopDelay(async () => {
      store = await TrackingStore.open(root, { wasmPath, saveDelayMs: 0 });
    });
    const s = store as TrackingStore;
    if (s.listRuns().total !== RUNS || s.getSeries(s.listRuns().runs[0].id, 'train/loss')?.total !== POINTS) throw new Error('bench: not everything was ingested');
    await s.close();

    const n = `${RUNS.toLocaleString('en')} runs × ${POINTS.toLocaleString('en')} points`;
    const base = 'bare JSON.parse of the same journals, yielding between files';
    return [
      figure(`ingestion of ${n} (open an empty index)`, (RUNS * POINTS) / (ours.ms / 1000), 'points/s', (RUNS * POINTS) / (baseline.ms / 1000), base),
      figure(`event loop held during that ingestion: longest stretch`, ours.maxMs, 'ms', baseline.maxMs, base),
      figure(`event loop held during that ingestion: p99 delay`, ours.p99Ms, 'ms', baseline.p99Ms, base),
    ];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function withLoopDelay(fn: () => Promise<void>): Promise<{ ms: number; maxMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  h.disable();
  return { ms, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
}

/** Runs as the SDK writes them: run.json, then metrics records of 1,000-point batches and a final status. */
export function writeRuns(root: string, runs: number, points: number): string[] {
  const t0 = 1_763_754_000;
  const journals: string[] = [];
  for (let r = 0; r < runs; r++) {
    const id = `20261121-205745-${r.toString(16).padStart(6, '0')}`;
    const dir = path.join(root, 'runs', id);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'run.json'),
      JSON.stringify({ v: JOURNAL_VERSION, id, name: `run-${r}`, experiment: { id: 'load', name: 'load' }, created: t0 + r, argv: [], cwd: '/', host: 'bench', pid: 1 }),
    );
    const lines: string[] = [];
    for (let start = 0; start < points; start += BATCH) {
      const step = Array.from({ length: Math.min(BATCH, points - start) }, (_, j) => start + j);
      const value = step.map((i) => Math.exp(-i / 3000) + ((i * 7919 + r) % 100) / 1e4);
      const time = step.map((i) => t0 + r + i * 0.001);
      lines.push(JSON.stringify({ v: JOURNAL_VERSION, t: 'metrics', ts: t0 + r + start * 0.001, series: { 'train/loss': { step, value, time } } }));
    }
    lines.push(JSON.stringify({ v: JOURNAL_VERSION, t: 'status', ts: t0 + r + 100, status: 'completed' }));
    const file = path.join(dir, 'events.jsonl');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    journals.push(file);
  }
  return journals;
}

if (require.main === module) void bench().then((f) => console.log(JSON.stringify(f, null, 1)));
