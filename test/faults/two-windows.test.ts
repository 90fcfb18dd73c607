// Guarantee: two VS Code windows editing one store at once (runs, experiments, registry under registry/.lock) while runs append lose no edit, and both agree with an index rebuilt from the journals.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunWriter } from '../unit/store/helpers';
import { fakePickle } from '../unit/store/registry-helpers';
import {
  exited, faultSeed, readJournalIndependently, rebuiltFromJournals, removeTempDirs, seededRandom, sleep, snapshotAt, tempDir,
} from './store-fault-helpers';

const DRIVER = path.join(__dirname, 'store-driver.js');
const OPS = 150;

interface Window {
  name: string;
  child: ChildProcess;
  out: () => string;
}

function openWindow(root: string, seed: number, name: string, modelFile: string): Window {
  const child = spawn(process.execPath, ['--enable-source-maps', DRIVER, 'window', root, String(seed), String(OPS), name, modelFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return { name, child, out: () => out + err };
}

async function until(w: Window, re: RegExp): Promise<void> {
  while (!re.test(w.out())) {
    if (w.child.exitCode !== null) throw new Error(`window ${w.name} ended: ${w.out()}`);
    await sleep(20);
  }
}

describe('faults: two VS Code windows write to one store at once', function () {
  this.timeout(180_000);
  const windows: Window[] = [];
  after(async () => {
    for (const w of windows.splice(0)) {
      w.child.kill('SIGKILL');
      await exited(w.child);
    }
    removeTempDirs();
  });

  it('loses no edit and no registration; both windows and a rebuilt index agree', async () => {
    const seed = faultSeed('two windows', 1333);
    const random = seededRandom(seed);
    const dir = tempDir('two-windows');
    const root = path.join(dir, '.mlwb');
    const runs = Array.from({ length: 8 }, (_, i) => new RunWriter(root, { id: `run-${i}`, experiment: `faults/exp-${i % 2}` }).metric('loss', [1, 0.5]));
    const model = fakePickle(path.join(dir, 'model.pkl'));
    let step = 2;
    // Training processes keep appending while the windows edit.
    const appending = setInterval(() => {
      const r = runs[Math.floor(random() * runs.length)];
      r.metric('loss', [1 / step, 1 / (step + 1)], { firstStep: step });
      r.log('info', `at ${step}`);
      step += 2;
    }, 5);

    const a = openWindow(root, seed + 1, 'A', model);
    const b = openWindow(root, seed + 2, 'B', model);
    windows.push(a, b);
    await Promise.all([until(a, /^open$/m), until(b, /^open$/m)]);
    for (const w of [a, b]) w.child.stdin!.write('go\n');
    try {
      await Promise.all([until(a, /^done$/m), until(b, /^done$/m)]);
    } finally {
      clearInterval(appending);
    }
    for (const r of runs) r.finish('completed'); // a live run's duration grows with the clock: end them to compare
    for (const w of [a, b]) w.child.stdin!.write('snapshot\n');
    await Promise.all([until(a, /^closed$/m), until(b, /^closed$/m)]);

    const rebuilt = await rebuiltFromJournals(root);
    try {
      const expected = snapshotAt(rebuilt, root);
      for (const w of [a, b]) assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, `${w.name}.snapshot.json`), 'utf8')), expected, `window ${w.name}`);

      // Every registration answered is there, with the number the lock gave it; numbers are 1..n per model.
      const registered = [a, b].flatMap((w) => [...w.out().matchAll(/^did registered (\S+) (\d+) (\S+ \d+)$/gm)]);
      assert.ok(registered.length > 0);
      for (const [, m, v, description] of registered) assert.equal(rebuilt.getVersion(m, Number(v))?.description, description, `${m} v${v}`);
      for (const m of rebuilt.listModels()) {
        const versions = rebuilt.listVersions(m.name).map((v) => v.version).sort((x, y) => x - y);
        assert.deepEqual(versions, versions.map((_, i) => i + 1), `${m.name}: no number given twice or skipped`);
        assert.equal(versions.length, registered.filter(([, name]) => name === m.name).length);
        assert.ok(rebuilt.listVersions(m.name).filter((v) => v.stage === 'production').length <= 1, 'at most one version in production');
      }
      // Alias moves: the holder each window was told it replaced is the one the journal order says (the lock makes it exact).
      const told = [a, b].flatMap((w) => [...w.out().matchAll(/^did alias (\S+) (\S+) (\d+) (\d+)$/gm)].map((m) => m.slice(1).join(' '))).sort();
      const moved = rebuilt.listModels().flatMap((m) =>
        rebuilt.modelHistory(m.name).filter((h) => h.kind === 'alias.set' && h.fromVersion !== undefined).map((h) => `${m.name} ${h.alias} ${h.version} ${h.fromVersion}`),
      );
      assert.ok(told.length > 0);
      assert.deepEqual(told, moved.sort());
      // Every run/experiment edit answered is journaled; the last rename of each run is what all show.
      const journaled = ['edits.jsonl', 'experiments.jsonl'].map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('');
      const tags = [a, b].flatMap((w) => [...w.out().matchAll(/^did (?:run|experiment)\.\S+ .*?([AB]-\d+)$/gm)].map((m) => m[1]));
      for (const tag of tags) assert.match(journaled, new RegExp(`(name |notes |t-|about )${tag}"`), `edit ${tag} is journaled`);
      const renames = readJournalIndependently(path.join(root, 'edits.jsonl')).records.filter((e) => e.t === 'run.renamed');
      for (const [run, name] of new Map(renames.map((e) => [String(e.run), String(e.name)]))) assert.equal(rebuilt.getRun(run)?.name, name);
      const stages = [a, b].reduce((n, w) => n + (w.out().match(/^did (stage|alias) /gm)?.length ?? 0), 0);
      console.log(`      2 windows × ${OPS} edits: ${registered.length} registrations, ${stages} stage/alias changes, ${tags.length} run/experiment edits, ${step / 2 - 1} metric appends meanwhile`);
    } finally {
      await rebuilt.close();
    }
  });
});
