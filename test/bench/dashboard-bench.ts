// Run comparison figures: the compare panel's first payload for 50 runs × 100k points against the same
// payload built from every raw point, and how many points per series cross into the webview.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareData, firstPayload } from '../../src/runs/compare/compare-data';
import { toWire } from '../../src/runs/charts/series-wire';
import { JOURNAL_VERSION } from '../../src/store/records';
import { TrackingStore } from '../../src/store/tracking-store';
import { bestOf, figure, type Figure } from './figure';

const RUNS = 50;
const POINTS = 100_000;
const BATCH = 10_000;
const WIDTH = 600; // a chart's CSS width
const KEYS = ['train/loss', 'eval/accuracy'];

export async function bench(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-dash-bench-'));
  try {
    const root = path.join(tmp, '.mlwb');
    const ids = Array.from({ length: RUNS }, (_, r) => writeRun(root, r));
    const store = await TrackingStore.open(root, { wasmPath: require.resolve('sql.js/dist/sql-wasm.wasm'), saveDelayMs: 3_600_000 });
    try {
      if (store.getSeries(ids[RUNS - 1], KEYS[0])?.total !== POINTS) throw new Error('bench: runs not fully ingested');
      // What the panel does on `ready`, and what reaches the webview (JSON across the host boundary, then parsed).
      const first = () => firstPayload(store, ids, WIDTH, 'step');
      const firstMs = await bestOf(5, first);
      const crossMs = await bestOf(5, () => JSON.parse(JSON.stringify(first())));
      const rawMs = await bestOf(2, () => rawPayload(store, ids));
      const crossRawMs = await bestOf(2, () => JSON.parse(JSON.stringify(rawPayload(store, ids))));
      const payload = first();
      const sent = payload.series.flatMap((k) => k.lines.map((l) => l.x.length));
      const bytes = JSON.stringify(payload).length;
      const rawBytes = JSON.stringify(rawPayload(store, ids)).length;
      return [
        figure(`compare panel first payload, ${RUNS} runs × 100k points (host)`, firstMs, 'ms', rawMs, 'the same payload with every raw point'),
        figure(`compare panel first payload, ${RUNS} runs × 100k points: built + JSON across + parsed`, crossMs, 'ms', crossRawMs, 'the same with every raw point'),
        figure('compare panel first payload size (JSON)', bytes, 'bytes', rawBytes, 'the same with every raw point'),
        figure(`points sent per series for a ${WIDTH}px chart (max of ${sent.length} series)`, Math.max(...sent), 'points', WIDTH, 'the chart width in pixels'),
      ];
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The baseline: the same comparison, each series with every raw point (no downsampling). */
function rawPayload(store: TrackingStore, ids: string[]) {
  const data = compareData(store.compareRuns(ids), ids);
  const series = KEYS.map((key) => ({
    key,
    lines: ids.map((id) => toWire(store.getSeries(id, key, { width: POINTS })!)),
  }));
  return { data, series };
}

/** One run with two 100k-point metrics (a noisy decaying loss with a spike, an accuracy), as the SDK writes them. */
function writeRun(root: string, r: number): string {
  const id = `20261121-2100${String(r).padStart(2, '0')}-bench${r}`;
  const dir = path.join(root, 'runs', id);
  fs.mkdirSync(dir, { recursive: true });
  const t0 = 1_763_754_000 + r * 3600;
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({ v: JOURNAL_VERSION, id, name: `bench-${r}`, experiment: { id: 'bench', name: 'bench' }, created: t0, argv: [], cwd: '/', host: 'bench', pid: 1 }),
  );
  const fd = fs.openSync(path.join(dir, 'events.jsonl'), 'w');
  fs.writeSync(fd, `${JSON.stringify({ v: JOURNAL_VERSION, t: 'params', ts: t0, values: { lr: 0.001 * (r + 1), seed: 7, layers: 2 + (r % 4) } })}\n`);
  for (let start = 0; start < POINTS; start += BATCH) {
    const step = Array.from({ length: BATCH }, (_, j) => start + j);
    const time = step.map((i) => t0 + i * 0.01);
    const loss = step.map((i) => (i === 50_000 + r ? 50 : Math.exp(-i / (20_000 + r * 500)) + Math.sin(i * 0.37) * 0.02));
    const acc = step.map((i) => 1 - Math.exp(-i / (30_000 + r * 400)) * 0.9);
    fs.writeSync(fd, `${JSON.stringify({ v: JOURNAL_VERSION, t: 'metrics', ts: t0, series: { [KEYS[0]]: { step, value: loss, time }, [KEYS[1]]: { step, value: acc, time } } })}\n`);
  }
  fs.writeSync(fd, `${JSON.stringify({ v: JOURNAL_VERSION, t: 'status', ts: t0 + 1000, status: 'completed' })}\n`);
  fs.closeSync(fd);
  return id;
}
