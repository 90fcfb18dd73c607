import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createQueuedRun, freeRunIds } from '../../../src/store/scheduled-runs';
import { openStore, removeTempStores, tempStore } from './helpers';
import { snapshot } from './snapshot';

const RUNNER_DIR = path.resolve(__dirname, '../../../../python-runner');
const MACHINES = ['machine-a', 'machine-b', 'machine-c', 'machine-d'];
const RUNS_PER_MACHINE = 2;
const POINTS = 300;

/** Several runs in a row through the real SDK; the last one waits (alive, heartbeating) until released. */
const WRITER = String.raw`
import os, sys, time
from mlwb import Experiment
release, n, points = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with Experiment("shared/" + os.environ["MLWB_HOST"], root=os.environ["STORE"]).run as exp:
        exp.params.set(host=os.environ["MLWB_HOST"], i=i)
        for step in range(points):
            exp.metrics.log(step=step, loss=1.0 / (step + 1))
            if step % 50 == 0:
                exp.log(f"step {step}")
        if i == n - 1:
            while not os.path.exists(release):
                time.sleep(0.05)
`;

/** What a Slurm job runs: the runner continuing a run created ahead of it (from another machine). */
const JOB = String.raw`
import os, sys, time
from mlwb import Experiment
release = sys.argv[1]
with Experiment("shared/jobs").run as exp:
    for step in range(200):
        exp.metrics.log(step=step, acc=step / 200)
    while not os.path.exists(release):
        time.sleep(0.05)
`;

/**
 * One store on a "shared file system" written at once by processes of several machines (MLWB_HOST names
 * them) while two windows (two TrackingStores, as on two other machines) read it and edit runs: nothing is
 * lost, nothing is derived crashed, and both windows agree with a rebuild.
 */
describe('shared store: concurrent writers from several machines', function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    removeTempStores();
  });

  it('loses nothing and derives no crash for live runs of other hosts', async () => {
    const root = tempStore();
    fs.mkdirSync(root, { recursive: true });
    const work = path.dirname(root);
    const release = path.join(work, 'release');
    fs.writeFileSync(path.join(work, 'writer.py'), WRITER);
    fs.writeFileSync(path.join(work, 'job.py'), JOB);
    const windowA = await openStore(root);
    const windowB = await openStore(root);
    try {
      // Runs created ahead of their process on this host (pid 0), continued on the other machines.
      const precreated = freeRunIds(windowA.layout, MACHINES.length);
      precreated.forEach((id) =>
        createQueuedRun(windowA.layout, id, {
          name: `job-${id.slice(-6)}`, experiment: { id: 'shared/jobs', name: 'jobs' }, created: Date.now() / 1000,
          script: { path: path.join(work, 'job.py') }, argv: [path.join(work, 'job.py')], cwd: work, host: os.hostname(), pid: 0,
        }),
      );
      const exits: Promise<number | null>[] = [];
      const start = (args: string[], host: string) => {
        const child = spawn('/usr/bin/python3', args, {
          cwd: work, stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, PYTHONPATH: RUNNER_DIR, MLWB_HOST: host, STORE: root, MLWB_STORE: root, MLWB_RPC_PIPE: '' },
        });
        let stderr = '';
        child.stderr?.on('data', (d) => (stderr += d));
        children.push(child);
        exits.push(new Promise((res) => child.on('exit', (code) => (code === 0 ? res(code) : res(Promise.reject(new Error(`${host}: exit ${code}: ${stderr}`)) as never)))));
      };
      MACHINES.forEach((host, i) => {
        start([path.join(work, 'writer.py'), release, String(RUNS_PER_MACHINE), String(POINTS)], host);
        start(['-m', 'mlwb', 'run', '--run-id', precreated[i], path.join(work, 'job.py'), release], host);
      });

      // Both windows follow and edit while the writers write: A renames, B tags every run it sees.
      const total = MACHINES.length * (RUNS_PER_MACHINE + 1);
      const deadline = Date.now() + 90_000;
      for (;;) {
        await Promise.all([windowA.refresh(), windowB.refresh()]);
        for (const r of windowA.listRuns().runs) if (!r.name.startsWith('a-')) await windowA.renameRun(r.id, `a-${r.id}`);
        for (const r of windowB.listRuns().runs) if (!r.tags.includes('b')) await windowB.setRunTags(r.id, ['b']);
        const live = windowA.listRuns({ status: ['running'] }).runs.length;
        if (live === MACHINES.length * 2) break; // every machine's last run and its job are up, waiting
        if (Date.now() > deadline) throw new Error(`only ${live} live runs: ${JSON.stringify(windowA.listRuns().runs.map((r) => [r.id, r.status]))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const w of [windowA, windowB]) {
        await w.refresh();
        assert.deepEqual(w.listRuns({ status: ['crashed'] }).runs, [], 'a live run of another host is never crashed');
        for (const id of precreated) {
          const run = w.getRun(id);
          assert.equal(run?.status, 'running', 'run.json says this host, pid 0; its process record says where it really runs');
          assert.ok(MACHINES.includes(run?.host ?? ''), run?.host);
        }
      }

      fs.writeFileSync(release, '');
      await Promise.all(exits);
      await Promise.all([windowA.refresh(), windowB.refresh()]);
      for (const r of windowA.listRuns().runs) if (!r.name.startsWith('a-')) await windowA.renameRun(r.id, `a-${r.id}`);
      await windowB.refresh();
      for (const r of windowB.listRuns().runs) if (!r.tags.includes('b')) await windowB.setRunTags(r.id, ['b']);
      await windowA.refresh();

      const runs = windowA.listRuns().runs;
      assert.equal(runs.length, total);
      assert.deepEqual(new Set(runs.map((r) => r.status)), new Set(['completed']));
      for (const r of runs) {
        assert.equal(r.name, `a-${r.id}`, 'window A’s rename');
        assert.deepEqual(r.tags, ['b'], 'window B’s tags');
        const detail = windowA.getRun(r.id)!;
        const jobRun = precreated.includes(r.id);
        assert.equal(detail.metrics[0].count, jobRun ? 200 : POINTS, `every point of ${r.id}`);
        if (!jobRun) {
          assert.equal(detail.host, detail.params.host, 'the host that wrote it');
          assert.equal(windowA.getLogs(r.id).logs.filter((l) => l.msg.startsWith('step ')).length, POINTS / 50);
        }
      }
      assert.deepEqual(new Set(runs.map((r) => windowA.getRun(r.id)?.host)), new Set(MACHINES));
      assert.deepEqual(windowA.problems(), []);
      assert.deepEqual(snapshot(windowB), snapshot(windowA), 'both windows see the same store');
      await windowA.rebuild('test');
      assert.deepEqual(snapshot(windowA), snapshot(windowB), 'and a rebuild from the journals agrees');
    } finally {
      await windowA.close();
      await windowB.close();
    }
  });
});
