import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobPoller, JobTracker, outputTail, type FinishedRun, type PollResult } from '../../../src/slurm/job-tracker';
import type { Slurm } from '../../../src/slurm/slurm-cli';
import { SlurmCommandFailed } from '../../../src/slurm/slurm-cli';
import type { JobInfo } from '../../../src/slurm/slurm-parsers';
import { planSubmission, slurmOrigin, submitPlan, type SubmissionRequest } from '../../../src/slurm/submission';
import { appendRunEvents } from '../../../src/store/scheduled-runs';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { until } from '../../shared/until';
import { openStore, removeTempStores, tempStore } from '../store/helpers';

/**
 * A stand-in for Slurm's commands (no scheduler in a unit test; the vscode layer drives the real one):
 * jobs move through the states a test sets, as squeue / sacct would report them.
 */
class FakeSlurm implements Slurm {
  readonly jobs = new Map<string, JobInfo>();
  readonly cancelled: string[] = [];
  private next = 100;
  failSubmit?: string;
  failQueue?: string;
  /** Jobs over and purged from the controller. */
  readonly purged = new Set<string>();

  async submit(): Promise<string> {
    if (this.failSubmit) throw new SlurmCommandFailed('sbatch', 1, this.failSubmit);
    return String(this.next++);
  }
  async queued(ids: readonly string[]): Promise<Map<string, JobInfo>> {
    if (this.failQueue) throw new SlurmCommandFailed('squeue', 1, this.failQueue);
    return new Map(ids.flatMap((id) => { const j = this.jobs.get(id); return j && !isOver(j.state) ? [[id, j] as const] : []; }));
  }
  async ended(ids: readonly string[]): Promise<Map<string, JobInfo>> {
    return new Map(ids.flatMap((id) => { const j = this.jobs.get(id); return j && isOver(j.state) && !this.purged.has(id) ? [[id, j] as const] : []; }));
  }
  async cancel(ids: readonly string[]): Promise<void> {
    this.cancelled.push(...ids);
  }
  set(id: string, state: string, extra: Partial<JobInfo> = {}): void {
    this.jobs.set(id, { state, ...extra });
  }
}

const isOver = (s: string) => !['PENDING', 'RUNNING', 'COMPLETING'].includes(s);

describe('Slurm job tracker (FakeSlurm stand-in, real store)', () => {
  let root: string;
  let store: TrackingStore;
  let slurm: FakeSlurm;
  let tracker: JobTracker;
  beforeEach(async () => {
    root = tempStore();
    store = await openStore(root);
    slurm = new FakeSlurm();
    tracker = new JobTracker(store, slurm);
  });
  afterEach(() => store.close());
  after(removeTempStores);

  function request(tasks: string[][]): SubmissionRequest {
    return {
      layout: store.layout, profile: { name: 'cpu' }, runnerDir: '/ext/python-runner', cwd: '/ws', python: '/usr/bin/python3', host: os.hostname(),
      target: '/ws/train.py', experiment: { id: 'train', name: 'train' }, jobName: 'train.py',
      tasks: tasks.map((args) => ({ args, argv: (id: string) => ['run', '--run-id', id, '/ws/train.py', ...args] })),
    };
  }

  async function submit(tasks: string[][] = [[]]) {
    const plan = planSubmission(request(tasks));
    const done = await submitPlan(plan, slurm, (f, t) => fs.writeFileSync(f, t));
    for (const r of done.runs) slurm.set(r.jobId, 'PENDING', { reason: 'Priority' });
    await store.refresh();
    return done;
  }

  /** What the runner writes on the node (python-runner's `run --run-id`). */
  function runnerStarts(run: string, jobId: string): void {
    appendRunEvents(store.layout, run, [
      { t: 'process', host: 'node1', pid: 4321 },
      { t: 'scheduler', scheduler: 'slurm', job_id: jobId, state: 'RUNNING', node: 'node1' },
      { t: 'status', status: 'running' },
    ]);
  }

  const journal = (run: string) => fs.readFileSync(path.join(root, 'runs', run, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  it('submission pre-creates queued runs with the job id and writes the script into the first run', async () => {
    const done = await submit([['--lr', '0.1'], ['--lr', '0.01'], ['--lr', '0.001']]);
    assert.equal(done.runs.length, 3);
    assert.deepEqual(done.runs.map((r) => r.jobId), ['100_0', '100_1', '100_2']);
    assert.equal(done.scriptFile, path.join(root, 'runs', done.runs[0].id, 'slurm.sbatch'));
    assert.match(fs.readFileSync(done.scriptFile, 'utf8'), /#SBATCH --array=0-2/);
    for (const [i, r] of done.runs.entries()) {
      const run = store.getRun(r.id);
      assert.equal(run?.status, 'queued');
      assert.deepEqual(run?.argv, ['/ws/train.py', '--lr', ['0.1', '0.01', '0.001'][i]]);
      assert.equal(run?.job?.id, `100_${i}`);
      assert.equal(run?.job?.output, path.join(root, 'runs', done.runs[0].id, `slurm-100_${i}.out`));
      assert.deepEqual(run?.metadata, { slurm: { profile: 'cpu', runner: 'run', script: done.scriptFile, array_index: i } });
      assert.deepEqual(slurmOrigin(run?.metadata), { profile: 'cpu', runner: 'run' }, 'what a rerun resubmits');
    }
  });

  it('a tuning worker’s run records its runner, so a rerun submits another worker', async () => {
    const req = request([['--spec', '/ws/s.tune.json', '--worker']]);
    req.tasks[0].argv = (id) => ['tune', '--run-id', id, '--spec', '/ws/s.tune.json', '--worker'];
    const done = await submitPlan(planSubmission(req), slurm, (f, t) => fs.writeFileSync(f, t));
    await store.refresh();
    assert.deepEqual(slurmOrigin(store.getRun(done.runs[0].id)?.metadata), { profile: 'cpu', runner: 'tune' });
    assert.equal(slurmOrigin({ slurm: { script: '/x' } }), undefined, 'no profile: not a submission to repeat');
    assert.equal(slurmOrigin(undefined), undefined);
  });

  it('a failed sbatch marks the runs failed with its message, and throws', async () => {
    slurm.failSubmit = 'sbatch: error: invalid partition specified: nope';
    await assert.rejects(submitPlan(planSubmission(request([[]])), slurm, (f, t) => fs.writeFileSync(f, t)), /invalid partition/);
    await store.refresh();
    const [run] = store.listRuns().runs;
    assert.equal(run.status, 'failed');
    assert.match(store.getRun(run.id)?.error ?? '', /submission failed: .*invalid partition/);
    assert.equal((await tracker.poll()).unfinished, 0, 'nothing to follow');
  });

  it('records each state change once; a run the runner completed is left to its runner', async () => {
    const { runs: [r] } = await submit();
    assert.deepEqual((await tracker.poll()).changed, [r.id], 'the pending reason is new');
    assert.deepEqual((await tracker.poll()).changed, [], 'nothing new');
    slurm.set(r.jobId, 'RUNNING', { node: 'node1', reason: 'None' });
    runnerStarts(r.id, r.jobId);
    assert.deepEqual((await tracker.poll()).changed, [], 'the runner said RUNNING on node1 already');
    appendRunEvents(store.layout, r.id, [{ t: 'status', status: 'completed', exit_code: 0 }]);
    slurm.set(r.jobId, 'COMPLETED', { node: 'node1' });
    const last = await tracker.poll();
    assert.deepEqual(last, { unfinished: 0, changed: [r.id], ended: [], finished: [{ run: r.id, status: 'completed', state: 'COMPLETED' }] });
    const run = store.getRun(r.id);
    assert.equal(run?.status, 'completed');
    assert.equal(run?.job?.state, 'COMPLETED');
    assert.deepEqual(journal(r.id).filter((e) => e.t === 'status').map((e) => e.status), ['queued', 'running', 'completed']);
  });

  it('a job cancelled while pending ends its run cancelled (after a second look), with the output tail', async () => {
    const { runs: [r] } = await submit();
    slurm.set(r.jobId, 'CANCELLED');
    const first = await tracker.poll();
    assert.equal(first.ended.length, 0, 'one pass of grace: a slow shared file system may still hold the runner’s last lines');
    assert.equal(store.getRun(r.id)?.job?.state, 'CANCELLED');
    const second = await tracker.poll();
    assert.deepEqual(second.ended, [{ run: r.id, status: 'cancelled', state: 'CANCELLED' }]);
    assert.equal(second.unfinished, 0);
    const run = store.getRun(r.id);
    assert.equal(run?.status, 'cancelled');
    assert.equal(run?.error, 'Slurm: CANCELLED');
    assert.match(store.getLogs(r.id).logs.at(-1)?.msg ?? '', /ended CANCELLED; its output file .* is missing/);
  });

  it('a job killed by Slurm (timeout) while the runner ran ends failed, with the tail of its output as log', async () => {
    const { runs: [r] } = await submit();
    slurm.set(r.jobId, 'RUNNING', { node: 'node1' });
    runnerStarts(r.id, r.jobId);
    const lines = Array.from({ length: 100 }, (_, i) => `epoch ${i}`);
    fs.writeFileSync(r.output, `${lines.join('\n')}\nslurmstepd: error: *** JOB ${r.jobId} ON node1 CANCELLED AT 2026-11-22T00:10:00 DUE TO TIME LIMIT ***\n`);
    slurm.set(r.jobId, 'TIMEOUT', { node: 'node1' });
    await tracker.poll();
    const result = await tracker.poll();
    assert.deepEqual(result.ended, [{ run: r.id, status: 'failed', state: 'TIMEOUT' }]);
    const run = store.getRun(r.id);
    assert.equal(run?.status, 'failed');
    assert.equal(run?.error, 'Slurm: TIMEOUT');
    const logs = store.getLogs(r.id).logs.map((l) => l.msg);
    assert.match(logs[0], /Slurm job \d+ ended TIMEOUT; the last lines of its output/);
    assert.equal(logs.length, 1 + 40);
    assert.equal(logs[1], 'epoch 61');
    assert.match(logs.at(-1) ?? '', /DUE TO TIME LIMIT/);
  });

  it('a time limit the runner took for a cancel: the run stays as its runner ended it, the job shows TIMEOUT and Slurm’s reason', async () => {
    const { runs: [r] } = await submit();
    slurm.set(r.jobId, 'RUNNING', { node: 'node1' });
    runnerStarts(r.id, r.jobId);
    fs.writeFileSync(r.output, 'epoch 1\nslurmstepd: error: *** JOB 100 ON node1 CANCELLED AT 2026-11-22T00:10:00 DUE TO TIME LIMIT ***\nmlwb: terminated (SIGTERM): the run is cancelled\n');
    appendRunEvents(store.layout, r.id, [{ t: 'status', status: 'cancelled', error: 'terminated by SIGTERM' }]);
    slurm.set(r.jobId, 'TIMEOUT', { node: 'node1' });
    const result = await tracker.poll();
    assert.deepEqual(result, { unfinished: 0, changed: [r.id], ended: [], finished: [] }, 'over before this tracker followed it');
    const run = store.getRun(r.id);
    assert.equal(run?.status, 'cancelled');
    assert.equal(run?.job?.state, 'TIMEOUT');
    assert.deepEqual(store.getLogs(r.id).logs.map((l) => l.msg), [`Slurm job ${r.jobId} ended TIMEOUT`, 'slurmstepd: error: *** JOB 100 ON node1 CANCELLED AT 2026-11-22T00:10:00 DUE TO TIME LIMIT ***']);
  });

  it('a job Slurm no longer knows fails its unfinished run; one whose run ended is forgotten', async () => {
    const { runs: [a] } = await submit();
    const { runs: [b] } = await submit();
    slurm.jobs.delete(a.jobId);
    slurm.jobs.delete(b.jobId);
    runnerStarts(b.id, b.jobId);
    appendRunEvents(store.layout, b.id, [{ t: 'status', status: 'completed' }]);
    await tracker.poll();
    const result = await tracker.poll();
    assert.deepEqual(result.ended, [{ run: a.id, status: 'failed', state: 'UNKNOWN' }]);
    assert.match(store.getRun(a.id)?.error ?? '', /no longer known to Slurm/);
    assert.equal(store.getRun(b.id)?.status, 'completed');
    assert.equal(result.unfinished, 0);
  });

  it('when squeue fails (controller down) nothing is written and the error is the caller’s to show', async () => {
    const { runs: [r] } = await submit();
    const before = fs.readFileSync(path.join(root, 'runs', r.id, 'events.jsonl'), 'utf8');
    slurm.failQueue = 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)';
    await assert.rejects(tracker.poll(), /Unable to contact slurm controller/);
    assert.equal(fs.readFileSync(path.join(root, 'runs', r.id, 'events.jsonl'), 'utf8'), before);
    assert.equal(store.getRun(r.id)?.status, 'queued');
  });

  it('the poller runs while jobs are unfinished and stops by itself after', async () => {
    const { runs: [r] } = await submit();
    const reports: (PollResult | Error)[] = [];
    let done!: () => void;
    const stopped = new Promise<void>((res) => (done = res));
    const poller = new JobPoller(tracker, () => 5, (o) => {
      reports.push(o);
      if (o instanceof Error) return;
      if (reports.length === 2) {
        slurm.set(r.jobId, 'RUNNING', { node: 'node1' });
        runnerStarts(r.id, r.jobId);
        appendRunEvents(store.layout, r.id, [{ t: 'status', status: 'completed' }]);
        slurm.set(r.jobId, 'COMPLETED');
      }
      if (o.unfinished === 0) done();
    });
    poller.ensure();
    await stopped;
    await until(() => !poller.active, 'no timer left once nothing is unfinished');
    assert.ok(reports.every((o) => !(o instanceof Error)));
    assert.equal(store.getRun(r.id)?.job?.state, 'COMPLETED');
    poller.dispose();
  });

  /** What `passes` polls report as finished, by run. */
  async function finishedOver(passes: number, t: JobTracker = tracker): Promise<Map<string, FinishedRun>> {
    const all = new Map<string, FinishedRun>();
    for (let i = 0; i < passes; i++) {
      for (const f of (await t.poll()).finished) {
        assert.ok(!all.has(f.run), `${f.run} reported twice`);
        all.set(f.run, f);
      }
    }
    return all;
  }

  it('reports the end of each run it followed once, whoever ended it: its runner, Slurm, a cancel in the queue', async () => {
    const { runs: [done] } = await submit();
    const { runs: [broken] } = await submit();
    const { runs: [killed] } = await submit();
    const { runs: [dropped] } = await submit();
    const { runs: [waiting] } = await submit();
    for (const r of [done, broken, killed]) {
      slurm.set(r.jobId, 'RUNNING', { node: 'node1' });
      runnerStarts(r.id, r.jobId);
    }
    assert.deepEqual((await tracker.poll()).finished, [], 'all live');
    appendRunEvents(store.layout, done.id, [{ t: 'status', status: 'completed' }]);
    slurm.set(done.jobId, 'COMPLETED', { node: 'node1' });
    appendRunEvents(store.layout, broken.id, [{ t: 'status', status: 'failed', error: 'ValueError: bad data' }]);
    slurm.set(broken.jobId, 'FAILED', { node: 'node1' });
    slurm.set(killed.jobId, 'OUT_OF_MEMORY', { node: 'node1' }); // the runner never wrote its end
    slurm.set(dropped.jobId, 'CANCELLED');
    const reported = await finishedOver(4);
    assert.deepEqual(Object.fromEntries(reported), {
      [done.id]: { run: done.id, status: 'completed', state: 'COMPLETED' },
      [broken.id]: { run: broken.id, status: 'failed', state: 'FAILED' },
      [killed.id]: { run: killed.id, status: 'failed', state: 'OUT_OF_MEMORY' },
      [dropped.id]: { run: dropped.id, status: 'cancelled', state: 'CANCELLED' },
    });
    slurm.set(waiting.jobId, 'RUNNING', { node: 'node1' });
    runnerStarts(waiting.id, waiting.jobId);
    appendRunEvents(store.layout, waiting.id, [{ t: 'status', status: 'completed' }]);
    slurm.set(waiting.jobId, 'COMPLETED', { node: 'node1' });
    assert.deepEqual([...(await finishedOver(3)).keys()], [waiting.id], 'the one still queued before, and nothing again');
  });

  it('never reports a run that was over before it followed it (a window opened later), though it still ends it', async () => {
    const { runs: [completed] } = await submit();
    const { runs: [lostNode] } = await submit();
    runnerStarts(completed.id, completed.jobId);
    appendRunEvents(store.layout, completed.id, [{ t: 'status', status: 'completed' }]);
    slurm.set(completed.jobId, 'COMPLETED', { node: 'node1' });
    runnerStarts(lostNode.id, lostNode.jobId);
    slurm.set(lostNode.jobId, 'NODE_FAIL', { node: 'node1' });
    const passes = [await tracker.poll(), await tracker.poll(), await tracker.poll()];
    assert.deepEqual(passes.flatMap((p) => p.finished), []);
    assert.deepEqual(passes.flatMap((p) => p.ended).map((e) => e.run), [lostNode.id]);
    assert.equal(store.getRun(lostNode.id)?.status, 'failed');
    assert.equal(passes[2].unfinished, 0);
  });

  it('a run another window ended is reported by the window that followed it, not by the other', async () => {
    const { runs: [r] } = await submit();
    await tracker.poll();
    const otherStore = await openStore(root);
    try {
      const other = new JobTracker(otherStore, slurm);
      slurm.set(r.jobId, 'CANCELLED');
      assert.equal((await finishedOver(2, other)).size, 0, 'the other window saw it over at once');
      assert.deepEqual((await other.poll()).unfinished, 0);
    } finally {
      otherStore.close();
    }
    assert.equal(store.getRun(r.id)?.status, 'queued', 'this window has not read the journal since');
    assert.deepEqual([...(await finishedOver(2)).values()], [{ run: r.id, status: 'cancelled', state: 'CANCELLED' }]);
  });

  it('a run submitted here is reported even when its job is over before a pass sees it queued', async () => {
    const { runs: [r] } = await submit();
    tracker.watch([r.id]);
    runnerStarts(r.id, r.jobId);
    appendRunEvents(store.layout, r.id, [{ t: 'status', status: 'completed' }]);
    slurm.set(r.jobId, 'COMPLETED', { node: 'node1' });
    assert.deepEqual((await tracker.poll()).finished, [{ run: r.id, status: 'completed', state: 'COMPLETED' }]);
    assert.deepEqual((await tracker.poll()).finished, []);
  });

  it('reads the tail of an output file, dropping a partial first line', () => {
    const file = path.join(root, 'out.txt');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(file, 'x'.repeat(70 * 1024) + '\nlast 1\r\nlast 2\n\n');
    assert.deepEqual(outputTail(file, 5), ['last 1', 'last 2']);
    assert.equal(outputTail(path.join(root, 'missing.txt')), undefined);
  });
});
