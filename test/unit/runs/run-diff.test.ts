import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDiffText } from '../../../src/runs/diff/run-diff-text';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { openStore, removeTempStores, RunWriter, tempStore } from '../store/helpers';

/** Diff Runs' two sides, from two runs written as journals and read back by the real store. */
describe('diff runs: the structured summaries both sides of the diff show', () => {
  let store: TrackingStore;
  const t0 = 1_700_000_000;

  before(async () => {
    const root = tempStore();
    new RunWriter(root, { id: 'run-a', name: 'forest-a', experiment: 'team/iris', created: t0, host: 'box', pid: 1 })
      .params({ lr: 0.1, seed: 1, model: 'rf' })
      .metric('eval/acc', [0.5, 0.9])
      .metric('train/loss', [1, 0.4])
      .finish('completed', { ts: t0 + 12 });
    const b = new RunWriter(root, { id: 'run-b', name: 'forest-b', experiment: 'team/iris', created: t0 + 100, host: 'box', pid: 1 })
      .params({ lr: 0.2, seed: 1, model: 'rf', depth: 3 })
      .metric('eval/acc', [0.6, 0.95])
      .metric('train/loss', [0.9, 0.5])
      .metric('eval/f1', [0.7])
      .finish('failed', { ts: t0 + 190, error: 'ValueError: boom' });
    const manifest = JSON.parse(fs.readFileSync(path.join(b.dir, 'run.json'), 'utf8'));
    manifest.git = { commit: 'cafe1234', branch: 'exp', dirty: true, diff: 'diff --git a/train.py b/train.py\n-lr = 0.1\n+lr = 0.2\n' };
    manifest.python.packages = { sklearn: '1.3.0', numpy: '1.24.2' };
    fs.writeFileSync(path.join(b.dir, 'run.json'), JSON.stringify(manifest));
    store = await openStore(root);
  });
  after(async () => {
    await store.close();
    removeTempStores();
  });

  it('lines up the same keys on both sides; the right side carries the metric deltas (right − left)', () => {
    const a = store.getRun('run-a', { logLimit: 0 })!;
    const b = store.getRun('run-b', { logLimit: 0 })!;
    const left = runDiffText(a, b, 'left');
    const right = runDiffText(b, a, 'right');
    assert.equal(
      left,
      [
        '# Run forest-a (run-a)',
        'experiment: iris',
        'status: completed',
        'started: 2023-11-14T22:13:20.000Z',
        'duration: 12.0 s',
        '',
        '## Params that differ (2)',
        'depth = —',
        'lr = 0.1',
        '',
        '## Params the same (2)',
        'model = rf',
        'seed = 1',
        '',
        '## Metrics (last · best)',
        'eval/acc: last 0.9 · best 0.9 (max) · 2 points',
        'eval/f1: —',
        'train/loss: last 0.4 · best 0.4 (min) · 2 points',
        '',
        '## Environment',
        'python: 3.11.2 (/usr/bin/python3)',
        'host: box',
        'package numpy: —',
        'package sklearn: 1.2.1',
        '',
        '## Code',
        'script: train.py',
        'script sha256: abc',
        'arguments: train.py --lr 0.1',
        'working directory: /work',
        'git commit: deadbeef',
        'git branch: main',
        'git working tree: clean',
        '',
        '## Uncommitted changes (git diff)',
        '(none)',
        '',
        '## Data inputs (the workspace data files the run read)',
        'not recorded for either run (runs started with python -m mlwb run record them)',
        '',
      ].join('\n'),
    );
    assert.equal(
      right,
      [
        '# Run forest-b (run-b)',
        'experiment: iris',
        'status: failed (ValueError: boom)',
        'started: 2023-11-14T22:15:00.000Z',
        'duration: 1 min 30 s',
        '',
        '## Params that differ (2)',
        'depth = 3',
        'lr = 0.2',
        '',
        '## Params the same (2)',
        'model = rf',
        'seed = 1',
        '',
        '## Metrics (last · best)',
        'eval/acc: last 0.95 (+0.05) · best 0.95 (max) (+0.05) · 2 points',
        'eval/f1: last 0.7 · best 0.7 (max) · 1 point',
        'train/loss: last 0.5 (+0.1) · best 0.5 (min) (+0.1) · 2 points',
        '',
        '## Environment',
        'python: 3.11.2 (/usr/bin/python3)',
        'host: box',
        'package numpy: 1.24.2',
        'package sklearn: 1.3.0',
        '',
        '## Code',
        'script: train.py',
        'script sha256: abc',
        'arguments: train.py --lr 0.1',
        'working directory: /work',
        'git commit: cafe1234',
        'git branch: exp',
        'git working tree: dirty (uncommitted changes below)',
        '',
        '## Uncommitted changes (git diff)',
        'diff --git a/train.py b/train.py',
        '-lr = 0.1',
        '+lr = 0.2',
        '',
        '## Data inputs (the workspace data files the run read)',
        'not recorded for either run (runs started with python -m mlwb run record them)',
        '',
      ].join('\n'),
    );
    // The diff editor's lines line up: every section heading sits on the same line on both sides.
    const headings = (t: string) => t.split('\n').flatMap((l, i) => (l.startsWith('## ') && !l.startsWith('## Uncommitted') && !l.startsWith('## Data') ? [i] : []));
    assert.deepEqual(headings(left), headings(right));
  });

  it('lists the data inputs both runs read, each side with its own sha256 (— where it read no such file)', () => {
    const a = store.getRun('run-a', { logLimit: 0 })!;
    const b = store.getRun('run-b', { logLimit: 0 })!;
    const inA = { root: '/ws', files: [{ path: 'data/iris.csv', sha256: 'a'.repeat(64), size: 120 }] };
    const inB = { root: '/ws', files: [{ path: 'data/iris.csv', sha256: 'b'.repeat(64), size: 121 }, { path: 'data/extra.npy', sha256: 'c'.repeat(64), size: 8 }] };
    const section = (t: string) => t.split('## Data inputs (the workspace data files the run read)\n')[1].trimEnd().split('\n');
    assert.deepEqual(section(runDiffText(a, b, 'left', undefined, { mine: inA, theirs: inB })), ['data/extra.npy: —', 'data/iris.csv: sha256 aaaaaaaaaaaa · 120 bytes']);
    assert.deepEqual(section(runDiffText(b, a, 'right', undefined, { mine: inB, theirs: inA })), ['data/extra.npy: sha256 cccccccccccc · 8 bytes', 'data/iris.csv: sha256 bbbbbbbbbbbb · 121 bytes']);
    assert.deepEqual(section(runDiffText(a, b, 'left', undefined, { theirs: inB }))[0], '(not recorded for this run)');
  });
});
