import * as assert from 'node:assert/strict';
import { StableNodes } from '../../../src/platform/stable-nodes';
import { runIdsOf, type RunNode } from '../../../src/runs/run-nodes';
import { descriptionMetric, formatNumber, parseTags, runDescription, runTooltip } from '../../../src/runs/run-text';
import { describeState, isFiltered, parseFilter, parseSort, queryProblem } from '../../../src/runs/runs-view-state';
import { QueryError } from '../../../src/store/query/parse';
import type { RunDetail, RunSummary } from '../../../src/store';

const run: RunSummary = { id: 'r1', name: 'train|1', experiment: 'e', experimentName: 'e', status: 'completed', created: 1_700_000_000, duration: 12.34, tags: ['a'] };

describe('runs view: labels, filter and sort state, stable nodes (no vscode)', () => {
  it('describes a run by its duration and a metric', () => {
    assert.equal(runDescription(run), '12.3 s');
    assert.equal(runDescription(run, { key: 'eval/acc', value: 0.933333 }), '12.3 s · eval/acc 0.9333');
    assert.equal(runDescription({ ...run, duration: undefined }, { key: 'loss', value: NaN }), 'loss NaN');
    assert.deepEqual([formatNumber(3), formatNumber(1.5e-7), formatNumber(123456789.5), formatNumber(null)], ['3', '1.500e-7', '1.235e+8', '—']);
  });

  it('shows a Slurm job state while the run is unfinished; once finished, only a state that adds something', () => {
    const job = (state: string) => ({ scheduler: 'slurm' as const, id: '42', state });
    const queued = { ...run, status: 'queued' as const, duration: undefined };
    assert.equal(runDescription({ ...queued, job: job('PENDING') }), 'Slurm 42 · PENDING');
    assert.equal(runDescription({ ...run, status: 'running', job: job('RUNNING') }), '12.3 s · Slurm 42 · RUNNING');
    // The journal said completed before the tracker polled again: the stale job state is not shown.
    for (const state of ['RUNNING', 'COMPLETING', 'COMPLETED']) assert.equal(runDescription({ ...run, job: job(state) }), '12.3 s · Slurm 42', state);
    assert.equal(runDescription({ ...run, status: 'cancelled', job: job('TIMEOUT') }), '12.3 s · Slurm 42 · TIMEOUT');
    assert.equal(runDescription({ ...run, status: 'crashed', job: job('OUT_OF_MEMORY') }), '12.3 s · Slurm 42 · OUT_OF_MEMORY');
  });

  it('picks the description metric: the setting, else the first eval/ or val key, else none', () => {
    assert.equal(descriptionMetric('train/loss', ['eval/acc']), 'train/loss');
    assert.equal(descriptionMetric('', ['train/loss', 'val_loss', 'eval/f1', 'eval/acc']), 'eval/acc');
    assert.equal(descriptionMetric(undefined, ['train/loss']), undefined);
  });

  it('builds a Markdown tooltip with params (first 15) and last metrics, escaping table cells', () => {
    const params = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${String(i).padStart(2, '0')}`, i]));
    const detail = { ...run, argv: [], params: { ...params, 'a|b': 'x|y' }, metrics: [{ key: 'eval/acc', last: 0.9, min: 0.5, max: 0.95, count: 3, lastStep: 2, lastTime: 0 }], files: [], logs: [], children: [] } as RunDetail;
    const md = runTooltip(detail);
    assert.match(md, /^\*\*train\\\|1\*\* — completed/);
    assert.match(md, /\| p14 \| 14 \|/);
    assert.doesNotMatch(md, /\| p15 \|/);
    assert.match(md, /\| … 6 more \| \|/);
    assert.match(md, /\| eval\/acc \| 0\.9 \| 0\.5 \| 0\.95 \|/);
  });

  it('parses comma-separated tags and rejects bad ones', () => {
    assert.deepEqual(parseTags(' a, b ,,a '), { tags: ['a', 'b'] });
    assert.deepEqual(parseTags(''), { tags: [] });
    assert.ok('error' in parseTags('x'.repeat(65)));
    assert.ok('error' in parseTags('bad\ttag'));
  });

  it('validates filters and sorts given to commands, and describes them', () => {
    assert.deepEqual(parseFilter({ status: ['failed', 'failed'], tag: 'gpu', text: '' }), { status: ['failed'], tag: 'gpu' });
    assert.throws(() => parseFilter({ status: ['exploded'] }), /filter\.status/);
    assert.throws(() => parseFilter({ script: 'train.py' }), /absolute/);
    assert.throws(() => parseFilter('failed'), /object/);
    assert.deepEqual(parseSort({ by: { metric: 'loss', agg: 'min' }, dir: 'asc' }), { by: { metric: 'loss', agg: 'min' }, dir: 'asc' });
    assert.deepEqual(parseSort({ by: 'name' }), { by: 'name', dir: 'desc' });
    assert.throws(() => parseSort({ by: 'size' }), /sort\.by/);
    assert.equal(isFiltered({}), false);
    assert.equal(describeState({}, { by: 'created', dir: 'desc' }), '');
    assert.equal(describeState({ script: '/w/train.py', status: ['failed', 'crashed'], tag: 'gpu', text: 'lr' }, { by: { metric: 'loss', agg: 'min' }, dir: 'asc' }), 'file train.py · failed, crashed · #gpu · "lr" · by loss (min) ↑');
  });

  it('takes a query in the filter: checked (its error names the column), trimmed, shown in the description', () => {
    assert.deepEqual(parseFilter({ query: "  metrics.acc > 0.9 or params.model = 'rf' " }), { query: "metrics.acc > 0.9 or params.model = 'rf'" });
    assert.deepEqual(parseFilter({ query: '   ' }), {});
    assert.throws(() => parseFilter({ query: 'metrics.acc >> 1' }), (e: unknown) => e instanceof QueryError && e.position === 13 && /column 14/.test(e.message));
    assert.equal(isFiltered({ query: 'status = "failed"' }), true);
    assert.equal(describeState({ query: 'status = "failed"', tag: 'gpu' }, { by: 'created', dir: 'desc' }), '#gpu · status = "failed"');
    assert.equal(describeState({ query: `metrics.acc > 0.9 and ${'x'.repeat(80)}` }, { by: 'created', dir: 'desc' }).length, 61);
    assert.equal(queryProblem('metrics.acc > 0.9'), undefined);
    assert.equal(queryProblem("params.model = 'rf"), 'unterminated string (at column 16)');
  });

  it('keeps one node object per key and reports only what changed', () => {
    const nodes = new StableNodes<{ v: number; extra?: string }>();
    const first = nodes.update([{ key: 'a', fields: { v: 1 } }, { key: 'b', fields: { v: 2, extra: 'x' } }]);
    assert.equal(first.sameKeys, false);
    assert.equal(first.changed.length, 2);
    const second = nodes.update([{ key: 'a', fields: { v: 1 } }, { key: 'b', fields: { v: 3 } }]);
    assert.equal(second.sameKeys, true);
    assert.deepEqual(second.changed, [{ v: 3 }]);
    assert.equal(second.nodes[0], first.nodes[0]);
    assert.equal(second.nodes[1], first.nodes[1], 'updated in place, stale fields removed');
    const third = nodes.update([{ key: 'b', fields: { v: 3 } }]);
    assert.equal(third.sameKeys, false);
    assert.equal(third.changed.length, 0);
    assert.notEqual(nodes.update([{ key: 'a', fields: { v: 1 } }, { key: 'b', fields: { v: 3 } }]).nodes[0], first.nodes[0], 'a node that left the list is forgotten');
  });

  it('resolves command targets: a node, an id, or the multi-selection that contains the clicked node', () => {
    const node = (id: string): RunNode => ({ kind: 'run', list: 'runs', run: { ...run, id } });
    assert.deepEqual(runIdsOf('r9'), ['r9']);
    assert.deepEqual(runIdsOf(node('a'), [node('a'), node('b')]), ['a', 'b']);
    assert.deepEqual(runIdsOf(node('c'), [node('a'), node('b')]), ['c']);
    assert.deepEqual(runIdsOf(undefined, [node('a')]), ['a']);
    assert.deepEqual(runIdsOf(node('a'), { confirm: false }), ['a']);
  });
});
