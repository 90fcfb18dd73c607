// The Runs view at 10,000 runs: what a refresh costs with paging (the first 200 runs, their description
// metric, their labels, the stable-node diff) against listing every run the same way without paging.
// Measured in plain Node with the real store; the vscode TreeItem wrapping is left out (no `vscode` here).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StableNodes } from '../../src/platform/stable-nodes';
import { queryRunPage, type RunListNode } from '../../src/runs/run-nodes';
import { descriptionMetric, runDescription } from '../../src/runs/run-text';
import { JOURNAL_VERSION } from '../../src/store/records';
import { TrackingStore } from '../../src/store/tracking-store';
import { bestOf, figure, type Figure } from './figure';

const RUNS = 10_000;

export async function bench(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-bench-'));
  try {
    const root = path.join(tmp, '.mlwb');
    writeRuns(root);
    const store = await TrackingStore.open(root, { wasmPath: require.resolve('sql.js/dist/sql-wasm.wasm'), saveDelayMs: 3_600_000 });
    if (store.listRuns({ limit: 1 }).total !== RUNS) throw new Error('bench: runs not ingested');
    const nodes = new StableNodes<RunListNode>();
    // What RunsTree.refresh() does on a store change: metric keys, one page, labels, diff.
    const refresh = (pages: number, query?: string) => {
      const key = descriptionMetric(undefined, store.metricKeys());
      const page = queryRunPage(store, 'runs', { sort: { by: 'created', dir: 'desc' }, query }, pages, key);
      const result = nodes.update(page.entries);
      for (const n of result.nodes) if (n.kind === 'run') runDescription(n.run, n.metric);
      return result.nodes.length;
    };
    if (refresh(1) !== 201) throw new Error('bench: expected 200 runs and "Load more…"');
    const pagedMs = await bestOf(7, () => refresh(1));
    const allMs = await bestOf(3, () => refresh(RUNS / 200));
    // A query filter (src/store/query) evaluated on all 10,000 runs' records, then the same first page.
    const query = "metrics.`eval/accuracy` > 0.85 and (params.depth = 2 or params.depth IN (3, 4)) or status = 'failed'";
    if (store.listRuns({ query, limit: 0 }).total === 0) throw new Error('bench: the query matches nothing');
    const queryMs = await bestOf(7, () => refresh(1, query));
    const unfilteredMs = await bestOf(7, () => refresh(1));
    await store.close();
    return [
      figure(
        `Runs view refresh at ${RUNS.toLocaleString('en-US')} runs (first page of 200 + description metric + labels + node diff)`,
        pagedMs, 'ms', allMs, 'the same refresh listing all 10,000 runs (no paging)',
      ),
      figure(
        `Runs view refresh filtered by a query over ${RUNS.toLocaleString('en-US')} runs (metrics, params with OR and IN, status; goal < 50 ms)`,
        queryMs, 'ms', unfilteredMs, 'the same refresh unfiltered',
      ),
    ];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** 10,000 small finished runs in 10 experiments, each with params and two metrics, as the SDK writes them. */
function writeRuns(root: string): void {
  const t0 = 1_763_754_000;
  const v = JOURNAL_VERSION;
  for (let i = 0; i < RUNS; i++) {
    const id = `20251121-${String(i).padStart(6, '0')}-bench`;
    const dir = path.join(root, 'runs', id);
    fs.mkdirSync(dir, { recursive: true });
    const exp = `bench/exp-${i % 10}`;
    const created = t0 + i * 60;
    fs.writeFileSync(
      path.join(dir, 'run.json'),
      JSON.stringify({ v, id, name: `run-${i}`, experiment: { id: exp, name: `exp-${i % 10}` }, created, script: { path: '/ws/train.py' }, argv: [], cwd: '/ws', host: 'bench', pid: 1 }),
    );
    const step = [0, 1, 2];
    const lines = [
      { v, t: 'status', ts: created, status: 'running' },
      { v, t: 'params', ts: created, values: { lr: 0.001 * (i % 7), depth: i % 5, seed: i } },
      { v, t: 'metrics', ts: created + 1, series: { 'train/loss': { step, value: [1, 0.5, 0.2 + (i % 13) / 100], time: [created, created + 1, created + 2] }, 'eval/accuracy': { step, value: [0.5, 0.7, 0.8 + (i % 17) / 100], time: [created, created + 1, created + 2] } } },
      { v, t: 'status', ts: created + 30 + (i % 11), status: i % 9 === 0 ? 'failed' : 'completed' },
    ];
    fs.writeFileSync(path.join(dir, 'events.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  }
}
