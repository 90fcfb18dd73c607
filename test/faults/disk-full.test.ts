// Guarantee: a full disk gives a clear error naming the file and ENOSPC, corrupts no journal or index, and loses nothing once space is freed.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunWriter } from '../unit/store/helpers';
import {
  allPoints, exited, killChildren, openStore, pythonEnv, readJournalIndependently, removeTempDirs, sleep, spawnPython, tempDir,
} from './store-fault-helpers';

/** Logs until told to stop; the disk fills meanwhile. Then waits for "go" (space freed), logs more, and ends normally. */
const TRAIN = `
import sys
from mlwb import Experiment
exp = Experiment("faults/disk-full").start()
print("ready", exp.id, flush=True)
for i in range(30000):
    exp.metrics.log(step=i, loss=1.0 / (i + 1))
    if i % 100 == 99:
        exp.flush()
        exp.log(f"step {i}")
print("waiting", flush=True)
sys.stdin.readline()
for i in range(30000, 30500):
    exp.metrics.log(step=i, loss=1.0 / (i + 1))
print("end", flush=True)
`;

/** A tmpfs of `size` (we run as root, here and on CI); undefined with the reason when mounting is not possible. */
function mountTmpfs(dir: string, size: string): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs failed (${(r.stderr || r.error?.message || '').trim()})`;
}

function unmount(dir: string): void {
  spawnSync('umount', [dir]);
}

describe('faults: the disk fills up', function () {
  this.timeout(120_000);
  const mounts: string[] = [];
  afterEach(killChildren);
  after(() => {
    for (const m of mounts.splice(0)) unmount(m);
    removeTempDirs();
  });

  /** A fresh tmpfs, or the test skips saying why (python-runner/tests/test_faults_disk_full.py still covers the SDK with /dev/full). */
  function tinyDisk(ctx: Mocha.Context, size: string): string {
    const dir = path.join(tempDir('disk-full'), 'mnt');
    const failed = mountTmpfs(dir, size);
    if (failed) {
      console.log(`      ${failed}: skipped; the /dev/full stand-in of python-runner/tests/test_faults_disk_full.py still runs`);
      ctx.skip();
    }
    mounts.push(dir);
    return dir;
  }

  it('tmpfs 256k: the SDK warns once (path + ENOSPC), the script goes on, the journal holds whole lines, and everything is ingested once space is freed', async function () {
    const disk = tinyDisk(this, '256k');
    const store = path.join(disk, '.mlwb');
    const work = tempDir('disk-full-work');
    fs.writeFileSync(path.join(work, 'train.py'), TRAIN);
    const child = spawnPython(['-m', 'mlwb', 'run', 'train.py'], { cwd: work, env: pythonEnv(store) });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const ended = exited(child);
    while (!/^waiting/m.test(out)) {
      if (child.exitCode !== null) throw new Error(`train.py ended early: ${out}${err}`);
      await sleep(20);
    }
    const id = /^ready (\S+)/m.exec(out)![1];
    const journal = path.join(store, 'runs', id, 'events.jsonl');

    // While the disk is full: one clear message, and the journal holds whole lines (at most a line cut by a short write, last).
    assert.match(err, new RegExp(`mlwb: could not write ${journal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\[Errno 28\\] No space left on device\\. The run goes on`));
    assert.equal(err.match(/could not write/g)?.length, 1, `said once: ${err}`);
    assert.doesNotMatch(err, /Traceback/);
    const during = readJournalIndependently(journal); // throws if a complete line does not parse
    const before = during.points.get('loss')?.step.length ?? 0;
    assert.ok(before > 0 && before < 30000, `some points fit, not all (${before})`);
    assert.deepEqual(during.points.get('loss')?.step, [...Array(before).keys()], 'the points that fit are the first ones, in order');

    // Space is freed (the user cleans up: here the disk grows), the script goes on and ends normally.
    assert.equal(spawnSync('mount', ['-o', 'remount,size=64m', disk]).status, 0);
    child.stdin!.write('go\n');
    const { code } = await ended;
    assert.equal(code, 0, `the script ended normally: ${err}`);
    assert.match(err, /is written again; nothing that waited was lost\./);

    const after = readJournalIndependently(journal);
    assert.equal(after.torn, '', 'the line a short write cut was completed');
    assert.deepEqual(after.points.get('loss')?.step, [...Array(30500).keys()], 'every point, once, in order');
    const s = await openStore(store);
    try {
      assert.equal(s.getRun(id)?.status, 'completed');
      assert.deepEqual(allPoints(s, id, 'loss'), after.points.get('loss'));
      assert.equal(s.getLogs(id, { limit: 1 }).total, after.records.filter((r) => r.t === 'log').length);
      assert.deepEqual(s.problems(), []);
    } finally {
      await s.close();
    }
    console.log(`      ${before} of 30500 points fit before the disk was full; all 30500 ingested after it was freed`);
  });

  it('tmpfs 1m: saving the index on a full disk fails with a clear error, keeps the previous index byte for byte, and saves once space is freed', async function () {
    const disk = tinyDisk(this, '1m');
    const root = path.join(disk, '.mlwb');
    new RunWriter(root, { id: 'r1' }).metric('loss', [3, 2, 1]).finish();
    const s = await openStore(root);
    try {
      await s.saveNow();
      const saved = fs.readFileSync(path.join(root, 'index.sqlite'));
      new RunWriter(root, { id: 'r2' }).metric('loss', Array.from({ length: 2000 }, (_, i) => i)).finish();
      await s.refresh();
      // Fill what is left.
      const filler = path.join(disk, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096));
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
      await assert.rejects(s.saveNow(), (e: NodeJS.ErrnoException) => {
        assert.equal(e.code, 'ENOSPC');
        assert.match(e.message, new RegExp(`could not save ${path.join(root, 'index.sqlite').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(left as it was\\): ENOSPC`));
        return true;
      });
      assert.deepEqual(fs.readFileSync(path.join(root, 'index.sqlite')), saved, 'the previous index is intact');
      assert.deepEqual(fs.readdirSync(root).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
      assert.equal(s.getRun('r2')?.metrics[0].count, 2000, 'the window goes on with its index in memory');

      fs.rmSync(filler);
      await s.saveNow();
    } finally {
      await s.close();
    }
    const again = await openStore(root);
    try {
      assert.equal(again.opened.rebuilt, undefined, 'the index saved after space was freed is used as is');
      assert.equal(again.getRun('r2')?.metrics[0].count, 2000);
    } finally {
      await again.close();
    }
  });
});
