import * as assert from 'node:assert/strict';
import { parseFromCompare } from '../../../src/runs/compare/contract';
import { parseFromDashboard } from '../../../src/runs/dashboard/contract';
import { BadMessage } from '../../../src/platform/webview-contract';

describe('run dashboard messages from the webview (untrusted input)', () => {
  it('accepts the known messages and drops unknown fields', () => {
    assert.deepEqual(parseFromDashboard({ type: 'ready', width: 640, xAxis: 'step', junk: 1 }), { type: 'ready', width: 640, xAxis: 'step' });
    assert.deepEqual(parseFromDashboard({ type: 'zoom', seq: 3, key: 'train/loss', width: 400, xAxis: 'time', range: [1, 2] }), {
      type: 'zoom', seq: 3, key: 'train/loss', width: 400, xAxis: 'time', range: [1, 2],
    });
    assert.deepEqual(parseFromDashboard({ type: 'zoom', seq: 4, key: 'k', width: 400, xAxis: 'step' }), { type: 'zoom', seq: 4, key: 'k', width: 400, xAxis: 'step' });
    assert.deepEqual(parseFromDashboard({ type: 'logs', seq: 1, offset: -1, level: 'warn', search: 'oops' }), { type: 'logs', seq: 1, offset: -1, level: 'warn', search: 'oops' });
    assert.deepEqual(parseFromDashboard({ type: 'setTags', tags: ['a', 'b'] }), { type: 'setTags', tags: ['a', 'b'] });
    assert.deepEqual(parseFromDashboard({ type: 'rename', name: '  x ' }), { type: 'rename', name: 'x' });
    assert.deepEqual(parseFromDashboard({ type: 'openRun', runId: 'r1', x: 1 }), { type: 'openRun', runId: 'r1' });
    assert.deepEqual(parseFromDashboard({ type: 'compareFile', path: 'notebook/executed.ipynb' }), { type: 'compareFile', path: 'notebook/executed.ipynb' });
    assert.equal(parseFromDashboard({ type: 'exportPng', key: 'k', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' }).type, 'exportPng');
  });

  for (const [what, raw] of [
    ['a width of 0', { type: 'ready', width: 0, xAxis: 'step' }],
    ['a huge width (it decides how much the host sends)', { type: 'ready', width: 1e6, xAxis: 'step' }],
    ['an unknown axis', { type: 'axis', width: 10, xAxis: 'epoch' }],
    ['a reversed range', { type: 'zoom', seq: 1, key: 'k', width: 10, xAxis: 'step', range: [2, 1] }],
    ['a range with NaN', { type: 'zoom', seq: 1, key: 'k', width: 10, xAxis: 'step', range: [null, 1] }],
    ['a bad log level', { type: 'logs', seq: 1, offset: 0, level: 'loud' }],
    ['tags that are not strings', { type: 'setTags', tags: [1] }],
    ['an empty name', { type: 'rename', name: '  ' }],
    ['a non-PNG data URL', { type: 'exportPng', key: 'k', dataUrl: 'data:text/html;base64,PHNjcmlwdD4=' }],
    ['a file path that is not a string', { type: 'openFile', path: 7 }],
    ['a compared file without a path', { type: 'compareFile' }],
    ['a run id that is not a string', { type: 'openRun', runId: ['r1'] }],
  ] as const) {
    it(`rejects ${what}`, () => assert.throws(() => parseFromDashboard(raw), BadMessage));
  }
});

describe('comparison messages from the webview (untrusted input)', () => {
  it('accepts the known messages', () => {
    assert.deepEqual(parseFromCompare({ type: 'ready', width: 500, xAxis: 'relative' }), { type: 'ready', width: 500, xAxis: 'relative' });
    assert.deepEqual(parseFromCompare({ type: 'series', seq: 2, key: 'k', width: 500, xAxis: 'step', range: [0, 10] }), {
      type: 'series', seq: 2, key: 'k', width: 500, xAxis: 'step', range: [0, 10],
    });
    assert.deepEqual(parseFromCompare({ type: 'openRun', id: 'abc' }), { type: 'openRun', id: 'abc' });
  });

  it('rejects unknown types and malformed fields', () => {
    assert.throws(() => parseFromCompare({ type: 'setTags', tags: [] }), BadMessage);
    assert.throws(() => parseFromCompare({ type: 'series', seq: -1, key: 'k', width: 5, xAxis: 'step' }), BadMessage);
    assert.throws(() => parseFromCompare({ type: 'openRun' }), BadMessage);
  });
});
