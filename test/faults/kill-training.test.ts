// Guarantee: a training process SIGKILLed mid-write keeps every point its journal holds as complete lines, and the run shows as crashed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  allPoints, exited, faultSeed, killChildren, openStore, pythonEnv, readJournalIndependently, removeTempDirs, seededRandom, sleep, spawnPython, tempDir,
} from './store-fault-helpers';

/** Logs two metrics as fast as it can (flushing every 200 points) until killed; says what is surely on disk. */
const TRAIN = `
import math, time
from mlwb import Experiment
exp = Experiment("faults/killed").start()
print("ready", exp.id, flush=True)
i = 0
while True:
    exp.metrics.log(step=i, loss=1.0 / (i + 1), acc=math.sin(i))
    if i % 97 == 0:
        exp.log(f"step {i}")
    i += 1
    if i % 200 == 0:
        exp.flush()
        print("flushed", i, flush=True)  # points 0..i-1 are in the journal now
        time.sleep(0.002)
`;

function cutInsideLastLine(file: string, random: () => number): void {
  const bytes = fs.readFileSync(file);
  const end = bytes.lastIndexOf(0x0a);
  const start = bytes.lastIndexOf(0x0a, end - 1) + 1;
  fs.truncateSync(file, start + 1 + Math.floor(random() * (end - start - 1)));
}

interface Killed {
  id: string;
  pid: number;
  /** Points the script said were written before the kill (a lower bound). */
  confirmed: number;
}

/** Starts the script, SIGKILLs it `delayMs` after it is ready, and returns what it confirmed. */
async function trainAndKill(cwd: string, store: string, viaRunner: boolean, delayMs: number): Promise<Killed> {
  const args = viaRunner ? ['-m', 'mlwb', 'run', 'train.py'] : ['train.py'];
  const child = spawnPython(args, { cwd, env: pythonEnv(store) });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const ended = exited(child);
  while (!/^ready /m.test(out)) {
    if (child.exitCode !== null) throw new Error(`train.py ended early: ${out}${err}`);
    await sleep(5);
  }
  await sleep(delayMs);
  child.kill('SIGKILL');
  const { signal } = await ended;
  assert.equal(signal, 'SIGKILL', `train.py was still running when killed: ${err}`);
  const id = /^ready (\S+)/m.exec(out)![1];
  const confirmed = Math.max(0, ...[...out.matchAll(/^flushed (\d+)/gm)].map((m) => Number(m[1])));
  return { id, pid: child.pid!, confirmed };
}

describe('faults: the training process is SIGKILLed mid-write', function () {
  this.timeout(120_000);
  afterEach(killChildren);
  after(removeTempDirs);

  for (const viaRunner of [true, false]) {
    const how = viaRunner ? 'under the runner (python -m mlwb run, journal only)' : 'with the SDK directly';
    it(`${how}: every complete journal line is in the index, a torn last line costs nothing else, the run is crashed`, async () => {
      const random = seededRandom(faultSeed(`kill ${viaRunner ? 'runner' : 'sdk'}`, viaRunner ? 1301 : 1302));
      const dir = tempDir('kill-train');
      const store = path.join(dir, '.mlwb');
      fs.writeFileSync(path.join(dir, 'train.py'), TRAIN);
      const killed: Killed[] = [];
      for (let k = 0; k < 4; k++) killed.push(await trainAndKill(dir, store, viaRunner, Math.round(30 + random() * 900)));
      // A kill inside write() tears the last line, but timing rarely lands there: the last journal is
      // also cut inside its last line, as such a kill leaves it (a stand-in for the unlucky moment).
      cutInsideLastLine(path.join(store, 'runs', killed[killed.length - 1].id, 'events.jsonl'), random);

      const s = await openStore(store);
      try {
        let torn = 0;
        let points = 0;
        for (const run of killed) {
          const rel = `runs/${run.id}/events.jsonl`;
          const journal = readJournalIndependently(path.join(store, rel)); // throws if a complete line is corrupt
          if (journal.torn !== '') torn++;
          const detail = s.getRun(run.id);
          assert.ok(detail, `run ${run.id} is in the index`);
          assert.equal(detail.status, 'crashed', 'a dead pid on this host: crashed');
          assert.equal(detail.pid, run.pid);
          assert.deepEqual(detail.metrics.map((m) => m.key).sort(), [...journal.points.keys()].sort());
          for (const [key, expected] of journal.points) {
            assert.deepEqual(allPoints(s, run.id, key), expected, `${run.id} ${key}: the index holds exactly the journal's points`);
            points += expected.step.length;
          }
          const loss = journal.points.get('loss')?.step ?? [];
          if (run !== killed[killed.length - 1]) assert.ok(loss.length >= run.confirmed, `${run.id}: ${run.confirmed} points were confirmed flushed, the journal holds ${loss.length}`);
          assert.deepEqual(loss, loss.map((_, i) => i), 'no point lost or repeated in between');
          const logs = journal.records.filter((r) => r.t === 'log').length;
          assert.equal(s.getLogs(run.id, { limit: 1 }).total, logs, 'every log line is in the index');
          assert.deepEqual(s.problems().filter((p) => p.file === rel), [], 'a torn last line is not a problem, only unfinished');
          assert.deepEqual(journal.records.filter((r) => r.t === 'status').map((r) => r.status), ['running'], 'nothing wrote an ending');
        }
        assert.ok(torn >= 1, 'the cut journal ends torn');
        console.log(`      ${killed.length} kills ${how}: ${points} points checked, ${torn} torn last line(s)`);
      } finally {
        await s.close();
      }
    });
  }
});
