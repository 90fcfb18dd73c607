import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { JOURNAL_VERSION, type RunManifest } from '../../../src/store/records';
import { SCHEMA_VERSION } from '../../../src/store/schema';
import { appendLines, now, openStore, removeTempStores, tempStore, WASM } from './helpers';
import { snapshot } from './snapshot';

const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;

/** A run as the extension pre-creates it at submission (run.json with pid 0, `queued`, the job PENDING). */
function submitted(root: string, id: string, created: number, jobId: string): (...records: Record<string, unknown>[]) => void {
  const dir = path.join(root, 'runs', id);
  fs.mkdirSync(dir, { recursive: true });
  const manifest: RunManifest = {
    v: JOURNAL_VERSION, id, name: `train-${id.slice(-6)}`, experiment: { id: 'train', name: 'train' }, created,
    script: { path: '/ws/train.py' }, argv: ['/ws/train.py', '--lr', '0.1'], cwd: '/ws', host: os.hostname(), pid: 0,
    metadata: { slurm: { profile: 'default', script: path.join(dir, 'slurm.sbatch') } },
  };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(manifest));
  const append = (...records: Record<string, unknown>[]) => appendLines(path.join(dir, 'events.jsonl'), records.map((r) => ({ v: JOURNAL_VERSION, ...r })));
  append(
    { t: 'status', ts: created, status: 'queued' },
    { t: 'scheduler', ts: created, scheduler: 'slurm', job_id: jobId, state: 'PENDING', reason: 'Resources', output: path.join(dir, `slurm-${jobId}.out`) },
  );
  return append;
}

describe('scheduled runs (scheduler and process records)', () => {
  const stores: TrackingStore[] = [];
  const open = async (root: string) => {
    const s = await openStore(root);
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  });
  after(removeTempStores);

  it('a queued run is never crashed: no process, no heartbeat, pid 0, long silence', async () => {
    const root = tempStore();
    const t0 = now() - 3600;
    submitted(root, 'q1', t0, '101');
    const store = await open(root);
    const run = store.getRun('q1');
    assert.equal(run?.status, 'queued');
    assert.deepEqual(run?.job, { scheduler: 'slurm', id: '101', state: 'PENDING', reason: 'Resources', output: path.join(root, 'runs/q1/slurm-101.out') });
    assert.equal(run?.duration, undefined, 'waiting in the queue is not running time');
    assert.equal(run?.ended, undefined);
    assert.deepEqual(store.listRuns({ status: ['queued'] }).runs.map((r) => r.id), ['q1']);
    assert.equal(store.runActivity(1).byStatus.queued, 1);
  });

  it('the process record moves host, pid and the start of the clock; scheduler records keep node and output', async () => {
    const root = tempStore();
    const t0 = now() - 100;
    const append = submitted(root, 'r1', t0, '102');
    append(
      { t: 'process', ts: t0 + 40, host: 'node7', pid: 4242, python: { executable: '/usr/bin/python3', version: '3.11.2' }, script: { path: '/ws/train.py', sha256: 'ab' } },
      { t: 'scheduler', ts: t0 + 40, scheduler: 'slurm', job_id: '102', state: 'RUNNING', node: 'node7' },
      { t: 'status', ts: t0 + 40, status: 'running' },
      { t: 'heartbeat', ts: now() },
    );
    const store = await open(root);
    let run = store.getRun('r1');
    assert.equal(run?.status, 'running', 'another host, fresh heartbeat');
    assert.equal(run?.host, 'node7');
    assert.equal(run?.pid, 4242);
    assert.equal(run?.started, t0 + 40);
    assert.deepEqual(run?.python, { executable: '/usr/bin/python3', version: '3.11.2' });
    assert.deepEqual(run?.script, { path: '/ws/train.py', sha256: 'ab' });
    assert.deepEqual(run?.job, { scheduler: 'slurm', id: '102', state: 'RUNNING', node: 'node7', output: path.join(root, 'runs/r1/slurm-102.out') });
    assert.ok(run?.duration !== undefined && run.duration < 100 - 30, `duration counts from the process start, got ${run?.duration}`);

    append({ t: 'status', ts: t0 + 70, status: 'completed', exit_code: 0 }, { t: 'scheduler', ts: t0 + 71, scheduler: 'slurm', job_id: '102', state: 'COMPLETED' });
    await store.refresh();
    run = store.getRun('r1');
    assert.equal(run?.status, 'completed');
    assert.equal(run?.duration, 30);
    assert.equal(run?.job?.state, 'COMPLETED');
    assert.equal(run?.job?.node, 'node7', 'a later record without node keeps it');
    assert.equal(run?.job?.reason, undefined, 'the reason is the latest record’s');
  });

  it('a started scheduled run is crashed by its process (dead pid here, or silence elsewhere), not by run.json', async () => {
    const root = tempStore();
    const t0 = now() - 200;
    submitted(root, 'dead', t0, '103')(
      { t: 'process', ts: t0 + 1, host: os.hostname(), pid: deadPid() },
      { t: 'status', ts: now(), status: 'running' },
    );
    submitted(root, 'silent', t0, '104')({ t: 'process', ts: t0 + 1, host: 'node2', pid: 1 }, { t: 'status', ts: t0 + 1, status: 'running' });
    submitted(root, 'alive', t0, '105')({ t: 'process', ts: t0 + 1, host: os.hostname(), pid: process.pid }, { t: 'status', ts: now(), status: 'running' });
    const store = await open(root);
    assert.equal(store.getRun('dead')?.status, 'crashed');
    assert.equal(store.getRun('silent')?.status, 'crashed');
    assert.equal(store.getRun('alive')?.status, 'running');
  });

  it('reports malformed scheduler and process records and keeps the run as it was', async () => {
    const root = tempStore();
    submitted(root, 'bad', now(), '106')(
      { t: 'scheduler', ts: now(), scheduler: 'slurm', state: 'RUNNING' },
      { t: 'process', ts: now(), host: 'x' },
    );
    const store = await open(root);
    assert.equal(store.getRun('bad')?.job?.state, 'PENDING');
    assert.equal(store.getRun('bad')?.host, os.hostname());
    const reasons = store.problems().map((p) => p.reason).join('\n');
    assert.match(reasons, /scheduler record without job_id or state/);
    assert.match(reasons, /process record without host or pid/);
  });

  it('rebuilds the same index from the journals, also from an index of schema 3', async () => {
    const root = tempStore();
    const t0 = now() - 50;
    submitted(root, 'a', t0, '201_0')(
      { t: 'process', ts: t0 + 5, host: 'n1', pid: 11 },
      { t: 'scheduler', ts: t0 + 5, scheduler: 'slurm', job_id: '201_0', state: 'RUNNING', node: 'n1' },
      { t: 'status', ts: t0 + 5, status: 'running' },
      { t: 'metrics', ts: t0 + 6, series: { loss: { step: [0, 1], value: [2, 1], time: [t0 + 6, t0 + 7] } } },
      { t: 'status', ts: t0 + 8, status: 'completed' },
    );
    submitted(root, 'b', t0, '201_1')({ t: 'status', ts: t0 + 9, status: 'cancelled' }, { t: 'scheduler', ts: t0 + 9, scheduler: 'slurm', job_id: '201_1', state: 'CANCELLED' });
    submitted(root, 'c', t0, '201_2');
    const first = await open(root);
    const before = snapshot(first);
    assert.deepEqual(first.listRuns({ sort: { by: 'name' } }).runs.map((r) => [r.id, r.status, r.job?.state]), [
      ['a', 'completed', 'RUNNING'], ['b', 'cancelled', 'CANCELLED'], ['c', 'queued', 'PENDING'],
    ]);
    await first.saveNow();

    fs.rmSync(path.join(root, 'index.sqlite'));
    const rebuilt = await open(root);
    assert.match(rebuilt.opened.rebuilt ?? '', /no index/);
    assert.deepEqual(snapshot(rebuilt), before);
    await rebuilt.saveNow();

    // An index written by the previous version (schema 3) is not read as is: it is rebuilt from the journals.
    const SQL = await initSqlJs({ locateFile: () => WASM });
    const db = new SQL.Database(fs.readFileSync(path.join(root, 'index.sqlite')));
    db.run('UPDATE schema_version SET version = 3');
    fs.writeFileSync(path.join(root, 'index.sqlite'), db.export());
    db.close();
    const again = await open(root);
    assert.match(again.opened.rebuilt ?? '', new RegExp(`index schema 3, expected ${SCHEMA_VERSION}`));
    assert.deepEqual(snapshot(again), before);
  });
});
