import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { derivedStatus, isPidAlive } from '../../../src/store/status';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';

/** The pid of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;

describe('derived run status', () => {
  let store: TrackingStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  after(removeTempStores);

  it('tells live pids from dead ones', () => {
    assert.equal(isPidAlive(process.pid), true);
    assert.equal(isPidAlive(deadPid()), false);
    assert.equal(isPidAlive(-1), false);
  });

  it('shows a running run whose process is gone as crashed, without writing it anywhere', async () => {
    const root = tempStore();
    const dead = new RunWriter(root, { id: 'dead', pid: deadPid() }).metric('loss', [1]);
    new RunWriter(root, { id: 'alive' }).metric('loss', [1]);
    new RunWriter(root, { id: 'elsewhere', host: 'another-host', pid: deadPid() });
    store = await openStore(root);
    assert.equal(store.getRun('dead')?.status, 'crashed');
    assert.equal(store.getRun('alive')?.status, 'running');
    assert.equal(store.getRun('elsewhere')?.status, 'running', 'a pid of another host says nothing');
    assert.deepEqual(store.listRuns({ status: ['crashed'] }).runs.map((r) => r.id), ['dead']);
    assert.equal(store.listExperiments()[0].runningCount, 2);
    assert.ok(!require('node:fs').readFileSync(dead.journal, 'utf8').includes('crashed'));
  });

  it('shows a silent run as crashed after the heartbeat timeout (pid reuse, other hosts)', () => {
    const base = { status: 'running', host: 'h', pid: process.pid };
    const opts = { staleAfterMs: 30_000, hostname: 'h', now: 1_000_000_000 };
    assert.equal(derivedStatus({ ...base, lastActivity: 1_000_000 - 10 }, opts), 'running');
    assert.equal(derivedStatus({ ...base, lastActivity: 1_000_000 - 31 }, opts), 'crashed');
    assert.equal(derivedStatus({ ...base, host: 'other', lastActivity: 1_000_000 - 31 }, opts), 'crashed');
    assert.equal(derivedStatus({ ...base, status: 'completed', lastActivity: 0 }, opts), 'completed');
    assert.equal(derivedStatus({ ...base, lastActivity: 1_000_000 }, { ...opts, isPidAlive: () => false }), 'crashed');
  });

  it('uses the configured timeout and journal activity', async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'quiet', created: now() - 120 }).events({ t: 'heartbeat', ts: now() - 60 });
    store = await openStore(root, { staleAfterMs: 90_000 });
    assert.equal(store.getRun('quiet')?.status, 'running');
    await store.close();
    store = await openStore(root, { staleAfterMs: 1_000 });
    const quiet = store.getRun('quiet');
    assert.equal(quiet?.status, 'crashed');
    assert.ok(quiet?.duration !== undefined && quiet.duration > 0);
  });
});
