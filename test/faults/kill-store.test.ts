// Guarantee: the extension host SIGKILLed mid-ingestion or mid-persist loses nothing: the next start opens the store, and its index equals one rebuilt from the journals.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunWriter } from '../unit/store/helpers';
import {
  exited, faultSeed, openStore, readJournalIndependently, rebuiltFromJournals, removeTempDirs, seededRandom, sleep, snapshotAt, tempDir, waitForLine,
} from './store-fault-helpers';

const DRIVER = path.join(__dirname, 'store-driver.js');
const KILLS = Number(process.env.MLWB_FAULT_KILLS ?? 40);

/** Training processes as far as the store can tell: journals that keep growing (appended by this test process). */
class Appenders {
  private readonly runs: { writer: RunWriter; next: number }[] = [];
  constructor(private readonly root: string, private readonly random: () => number) {}

  newRun(id: string, points: number): void {
    const writer = new RunWriter(this.root, { id, experiment: `faults/exp-${this.runs.length % 3}` }).params({ lr: this.random(), depth: this.runs.length });
    this.runs.push({ writer, next: 0 });
    this.grow(this.runs.length - 1, points);
  }

  growSome(): void {
    for (let i = 0; i < 4; i++) this.grow(Math.floor(this.random() * this.runs.length), 50 + Math.floor(this.random() * 400));
    const done = this.runs[Math.floor(this.random() * this.runs.length)];
    if (this.random() < 0.1) done.writer.finish(this.random() < 0.5 ? 'completed' : 'failed', { exit_code: 1 });
  }

  /** The training ends (a live run's duration grows with the clock: no snapshot of it compares). */
  finishAll(): void {
    for (const r of this.runs) r.writer.finish('completed');
  }

  private grow(i: number, n: number): void {
    const r = this.runs[i];
    const values = Array.from({ length: n }, (_, j) => Math.round(1e6 / (r.next + j + 1)) / 1e3);
    for (const key of ['loss', 'val/loss', 'acc']) r.writer.metric(key, values, { firstStep: r.next, batch: 200 });
    r.writer.log('info', `epoch at ${r.next}`);
    r.next += n;
  }
}

const isTemp = (f: string): boolean => /^index\.sqlite\..*\.tmp$/.test(f);

/** What a kill interrupted; the child is dead when it resolves. */
async function startAndKill(root: string, seed: number, random: () => number): Promise<{ when: string; opened: string; confirmed: string[] }> {
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', DRIVER, 'ingest-loop', root, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const ended = exited(child);
  const kind = random();
  let when: string;
  let opened = '';
  if (kind < 0.2) {
    // While opening: loading the index, the first pass (or a whole rebuild).
    await sleep(random() * 250);
    when = 'opening';
  } else {
    opened = (await waitForLine(child, /^open/)).slice(5);
    if (kind < 0.6) {
      // Inside persist: the moment index.sqlite's temp file exists (written, fsynced or being renamed).
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !fs.readdirSync(root).some(isTemp)) {
        /* poll as fast as we can: the window is a few milliseconds */
      }
      when = fs.readdirSync(root).some(isTemp) ? 'persisting' : 'persist not seen';
    } else {
      await sleep(random() * 600);
      when = 'editing/ingesting/saving';
    }
  }
  child.kill('SIGKILL');
  const { code, signal } = await ended;
  assert.equal(signal, 'SIGKILL', `the driver died by itself (${code}) ${when}`);
  // Edits the driver was told were done (their tag is unique: "k<pid>-<n>").
  const confirmed = [...out.matchAll(/^edited .*?(k\d+-\d+)$/gm)].map((m) => m[1]);
  return { when, opened, confirmed };
}

describe('faults: the extension host is SIGKILLed mid-ingestion and mid-persist', function () {
  this.timeout(180_000);
  after(removeTempDirs);

  it('reopens after every kill, loses no edit, and ends equal to an index rebuilt from the journals', async () => {
    const seed = faultSeed('kill store', 1313);
    const random = seededRandom(seed);
    const root = path.join(tempDir('kill-store'), '.mlwb');
    const runs = new Appenders(root, random);
    for (let i = 0; i < 24; i++) runs.newRun(`run-${String(i).padStart(3, '0')}`, 1500);
    const kinds = new Map<string, number>();
    const confirmed: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      if (random() < 0.1) fs.rmSync(path.join(root, 'index.sqlite'), { force: true }); // the next open rebuilds
      const { when, opened, confirmed: done } = await startAndKill(root, seed + k + 1, random);
      confirmed.push(...done);
      assert.ok(opened === '' || opened === 'no index yet', `kill ${k}: the index was not usable after the previous kill: ${opened}`);
      kinds.set(when, (kinds.get(when) ?? 0) + 1);
      runs.growSome();
      if (k % 10 === 9) runs.newRun(`run-late-${k}`, 300);
    }
    console.log(`      ${KILLS} kills: ${[...kinds].map(([w, n]) => `${n} ${w}`).join(', ')}`);
    assert.ok((kinds.get('persisting') ?? 0) >= KILLS / 10, 'enough kills landed inside persist');

    runs.finishAll();
    const fresh = await openStore(root);
    const rebuilt = await rebuiltFromJournals(root);
    try {
      assert.equal(fresh.opened.rebuilt, undefined, 'the saved index was usable as is');
      assert.deepEqual(fs.readdirSync(root).filter(isTemp), [], 'no temp index left behind by the killed saves');
      assert.deepEqual(snapshotAt(fresh, root), snapshotAt(rebuilt, root));
      // Nothing lost: every edit the driver confirmed is journaled, and the last rename of each run is what the index shows.
      const journaled = ['edits.jsonl', 'experiments.jsonl'].map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('');
      for (const tag of confirmed) assert.match(journaled, new RegExp(`(name |notes |t-|about )${tag}"`), `edit ${tag} is journaled`);
      console.log(`      ${confirmed.length} confirmed edits all journaled and indexed`);
      // The last rename of each run, as journaled, is what the index shows.
      const edits = readJournalIndependently(path.join(root, 'edits.jsonl')).records;
      const lastName = new Map(edits.filter((e) => e.t === 'run.renamed').map((e) => [String(e.run), String(e.name)]));
      assert.ok(lastName.size > 0);
      for (const [run, name] of lastName) assert.equal(fresh.getRun(run)?.name, name);
    } finally {
      await fresh.close();
      await rebuilt.close();
    }
  });
});
