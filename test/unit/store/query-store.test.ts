import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { QueryRun } from '../../../src/store/query/evaluate';
import { QueryError } from '../../../src/store/query/parse';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';

const CASES = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../python-runner/tests/data/query-cases.json'), 'utf8')) as {
  runs: QueryRun[];
  cases: { query: string; ids?: string[]; error?: { message: string; position: number } }[];
};

/**
 * The shared runs written as real journals (params, metric points, key/value tags records, run.json labels,
 * statuses, a crashed process); the store's listRuns({ query }) must give every shared case's answer.
 */
describe('query language: the store answers the shared cases on real journals', () => {
  let store: TrackingStore;

  before(async () => {
    const root = tempStore();
    for (const r of CASES.runs) {
      const labels = Object.entries(r.tags).filter(([, v]) => v === '').map(([k]) => k);
      const created = r.start_time! / 1000;
      const w = new RunWriter(root, { id: r.run_id, name: r.run_name, experiment: r.experiment_id, created, tags: labels, pid: r.status === 'crashed' ? 2 ** 22 + 17 : undefined });
      w.params(r.params);
      for (const [key, value] of Object.entries(r.metrics)) w.metric(key, [value / 2, value]);
      const kv = Object.fromEntries(Object.entries(r.tags).filter(([, v]) => v !== ''));
      if (Object.keys(kv).length > 0) w.events({ t: 'tags', tags: kv });
      if (r.status === 'running') w.log('info', 'alive', 'stdout').events({ t: 'log', level: 'info', msg: 'now', ts: now() });
      else if (r.status === 'crashed') w.events({ t: 'log', level: 'info', msg: 'last words', ts: created + 500 });
      else w.events({ t: 'status', status: r.status, ts: r.end_time! / 1000 });
    }
    store = await openStore(root);
    assert.deepEqual(
      store.listRuns({ sort: { by: 'created', dir: 'asc' } }).runs.map((r) => [r.id, r.status]),
      CASES.runs.map((r) => [r.run_id, r.status]),
    );
  });
  after(async () => {
    await store.close();
    removeTempStores();
  });

  for (const c of CASES.cases) {
    it(`${JSON.stringify(c.query)}`, () => {
      const list = () => store.listRuns({ query: c.query, sort: { by: 'created', dir: 'asc' } });
      if (c.error) {
        assert.throws(list, (e: unknown) => e instanceof QueryError && e.position === c.error!.position && e.reason === c.error!.message);
      } else {
        const result = list();
        assert.deepEqual(result.runs.map((r) => r.id), c.ids);
        assert.equal(result.total, c.ids!.length);
      }
    });
  }
});
