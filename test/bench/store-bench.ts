// Tracking store figures: the columnar series cache against parsing the run's own journal, and
// ingestion against bare JSON.parse of the same lines.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downsampleIndices } from '../../src/store/downsample';
import { JOURNAL_VERSION } from '../../src/store/records';
import { TrackingStore } from '../../src/store/tracking-store';
import { bestOf, figure, type Figure } from './figure';

const POINTS = 1_000_000;
const BATCH = 1000;
const BUCKETS = 500; // ≤ 4 points each: at most 2,000 points
const KEY = 'train/loss';
const RUN = '20261121-205745-3fa9c2';

export async function bench(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-bench-'));
  try {
    const root = path.join(tmp, '.mlwb');
    const journal = writeRun(root);
    const opts = { wasmPath: require.resolve('sql.js/dist/sql-wasm.wasm'), saveDelayMs: 3_600_000 };

    let store: TrackingStore | undefined;
    const ingestMs = await bestOf(3, async () => {
      await store?.close();
      fs.rmSync(path.join(root, 'index.sqlite'), { force: true });
      fs.rmSync(path.join(root, 'index.series'), { recursive: true, force: true });
      store = await TrackingStore.open(root, opts);
    });
    const parseMs = await bestOf(3, () => parseJournal(journal));

    const s = store as TrackingStore;
    if (s.getSeries(RUN, KEY, { width: BUCKETS })?.total !== POINTS) throw new Error('bench: series not fully ingested');
    const cacheMs = await bestOf(7, () => s.getSeries(RUN, KEY, { width: BUCKETS }));
    const journalMs = await bestOf(3, () => {
      const { step, value } = parseJournal(journal);
      return downsampleIndices(step, value, BUCKETS);
    });
    await s.close();

    return [
      figure('1M-point series → ≤2,000 points: read columnar cache + downsample', cacheMs, 'ms', journalMs, 'parse the run journal (JSONL, 1,000-point batches) + downsample'),
      figure('journal ingestion into the store (1M points)', POINTS / (ingestMs / 1000), 'points/s', POINTS / (parseMs / 1000), 'bare JSON.parse of the same lines'),
    ];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** One run with one 1M-point metric, as the SDK writes it. */
function writeRun(root: string): string {
  const dir = path.join(root, 'runs', RUN);
  fs.mkdirSync(dir, { recursive: true });
  const t0 = 1_763_754_000;
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({ v: JOURNAL_VERSION, id: RUN, name: 'train-3fa9c2', experiment: { id: 'bench', name: 'bench' }, created: t0, argv: [], cwd: '/', host: 'bench', pid: 1 }),
  );
  const file = path.join(dir, 'events.jsonl');
  const fd = fs.openSync(file, 'w');
  for (let start = 0; start < POINTS; start += BATCH) {
    const step = Array.from({ length: BATCH }, (_, j) => start + j);
    const value = step.map((i) => (i === 777_777 ? 1e9 : Math.exp(-i / 200_000) + Math.sin(i) * 0.01));
    const time = step.map((i) => t0 + i * 0.001);
    fs.writeSync(fd, `${JSON.stringify({ v: JOURNAL_VERSION, t: 'metrics', ts: t0 + start * 0.001, series: { [KEY]: { step, value, time } } })}\n`);
  }
  fs.writeSync(fd, `${JSON.stringify({ v: JOURNAL_VERSION, t: 'status', ts: t0 + 1000, status: 'completed' })}\n`);
  fs.closeSync(fd);
  return file;
}

/** The baseline reader: every line parsed, the key's points gathered into arrays. */
function parseJournal(file: string): { step: number[]; value: number[] } {
  const step: number[] = [];
  const value: number[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { t: string; series?: Record<string, { step: number[]; value: number[] }> };
    const s = r.t === 'metrics' ? r.series?.[KEY] : undefined;
    if (s) {
      for (const v of s.step) step.push(v);
      for (const v of s.value) value.push(v);
    }
  }
  return { step, value };
}
