// Guarantee: bounded load — many runs are ingested completely while the event loop keeps turning, and the inference server answers concurrent loopback clients with zero errors and the model's own predictions.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { TrackingStore } from '../../src/store/tracking-store';
import { writeRuns } from '../bench/ingest-load-bench';
import { seededRandom } from './store-fault-helpers';

const repo = path.resolve(__dirname, '../../..');
const PYTHON = '/usr/bin/python3';
const SEED = 13;

describe('faults: bounded load', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-faults-load-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('200 runs × 5,000 points: every point ingested, and the event loop turned between the runs it read', async function () {
    this.timeout(120_000);
    const RUNS = 200;
    const POINTS = 5000;
    const root = path.join(tmp, '.mlwb');
    writeRuns(root, RUNS, POINTS);
    // A UI stand-in in the same process: an immediate re-armed each turn of the loop.
    let turns = 0;
    let stop = false;
    const tick = () => {
      turns++;
      if (!stop) setImmediate(tick);
    };
    // Which turn each run's journal was opened on (the journal reader opens a small one with fs.openSync, a
    // large one through fs/promises: both are watched).
    const opened: number[] = [];
    const fsp = require('node:fs/promises') as { open: (...a: unknown[]) => Promise<unknown> };
    const fsSync = require('node:fs') as { openSync: (...a: unknown[]) => number };
    const realOpen = fsp.open;
    const realOpenSync = fsSync.openSync;
    const watch = (file: unknown) => {
      if (String(file).endsWith('events.jsonl')) opened.push(turns);
    };
    fsp.open = (...a: unknown[]) => (watch(a[0]), realOpen(...a));
    fsSync.openSync = (...a: unknown[]) => (watch(a[0]), realOpenSync(...a));
    setImmediate(tick);
    let store: TrackingStore;
    try {
      store = await TrackingStore.open(root, { wasmPath: require.resolve('sql.js/dist/sql-wasm.wasm'), saveDelayMs: 60_000 });
    } finally {
      fsp.open = realOpen;
      fsSync.openSync = realOpenSync;
      stop = true;
    }
    try {
      const { runs, total } = store.listRuns({ limit: RUNS });
      assert.equal(total, RUNS);
      let points = 0;
      for (const r of runs) {
        const s = store.getSeries(r.id, 'train/loss', { width: 100 });
        assert.equal(s?.total, POINTS, r.id);
        assert.equal(r.status, 'completed');
        points += s!.total;
      }
      assert.equal(points, RUNS * POINTS);
      // Ingestion yields: between any two runs' journals, the loop turned (the UI's callbacks ran).
      assert.equal(opened.length, RUNS);
      const held = opened.slice(1).filter((t, i) => t <= opened[i]).length;
      assert.equal(held, 0, `${held} of ${RUNS - 1} runs were read without the event loop turning in between`);
      console.log(`load: ${RUNS} runs × ${POINTS} points ingested, the event loop turned between every two runs (${opened[RUNS - 1] - opened[0]} turns)`);
    } finally {
      await store.close();
    }
  });

  describe('the inference server under concurrent loopback clients', () => {
    let server: ChildProcess | undefined;
    let output = '';
    let port = 0;
    let expected: { rows: number[][]; predictions: number[] };
    const TOKEN = 'serve-token-load-4k3j2h1g';

    before(async function () {
      this.timeout(60_000);
      const script = `
import json, pickle, sys
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
X, y = load_breast_cancer(return_X_y=True)
m = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
pickle.dump(m, open(sys.argv[1], "wb"))
json.dump({"rows": X.tolist(), "predictions": m.predict(X).tolist()}, open(sys.argv[2], "w"))
`;
      const r = spawnSync(PYTHON, ['-c', script, path.join(tmp, 'rf.pkl'), path.join(tmp, 'expected.json')], { encoding: 'utf8', timeout: 50_000 });
      assert.equal(r.status, 0, r.stderr);
      expected = JSON.parse(fs.readFileSync(path.join(tmp, 'expected.json'), 'utf8'));
      server = spawn(PYTHON, ['-m', 'mlwb', 'serve', '--model', path.join(tmp, 'rf.pkl')], {
        env: { ...process.env, PYTHONPATH: path.join(repo, 'python-runner'), MLWB_SERVE_TOKEN: TOKEN, MLWB_RPC_PIPE: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stderr!.on('data', (d) => (output += d));
      const lines = createInterface({ input: server.stdout! });
      const ready = await new Promise<{ port: number }>((resolve, reject) => {
        lines.on('line', (line) => {
          output += `${line}\n`;
          const e = JSON.parse(line) as { event: string; port: number };
          if (e.event === 'ready') resolve(e);
        });
        server!.on('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
      });
      port = ready.port;
    });
    after(async () => {
      if (!server || server.exitCode !== null) return;
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    });

    it('2,000 requests from 16 clients: zero errors, every answer equal to model.predict, and the token never in its output', async function () {
      this.timeout(120_000);
      const REQUESTS = 2000;
      const CLIENTS = 16;
      const random = seededRandom(SEED);
      const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
      const plan = Array.from({ length: REQUESTS }, () => {
        const n = 1 + Math.floor(random() * 4);
        return Array.from({ length: n }, () => Math.floor(random() * expected.rows.length));
      });
      let next = 0;
      const errors: string[] = [];
      let rows = 0;
      const post = (body: string, token?: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port, path: '/invocations', method: 'POST', agent,
              headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } },
            (res) => {
              let data = '';
              res.setEncoding('utf8').on('data', (d) => (data += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const client = async () => {
        for (let i = next++; i < REQUESTS; i = next++) {
          const ids = plan[i];
          try {
            const res = await post(JSON.stringify({ inputs: ids.map((k) => expected.rows[k]) }), TOKEN);
            if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
            const got = (JSON.parse(res.body) as { predictions: number[] }).predictions;
            assert.deepEqual(got, ids.map((k) => expected.predictions[k]));
            rows += ids.length;
          } catch (err) {
            errors.push(`request ${i} (rows ${ids.join(',')}): ${(err as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      const refused = await post(JSON.stringify({ inputs: [expected.rows[0]] }));
      agent.destroy();
      console.log(`load: serve ${REQUESTS} requests (${rows} rows) from ${CLIENTS} clients, seed ${SEED}: ${errors.length} errors`);
      assert.deepEqual(errors.slice(0, 5), []);
      assert.equal(rows, plan.reduce((s, p) => s + p.length, 0));
      assert.equal(refused.status, 401, 'a request without the token is refused');
      assert.ok(!output.includes(TOKEN), 'the serve token appears in the server’s output');
    });
  });
});
