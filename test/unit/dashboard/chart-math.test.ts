import * as assert from 'node:assert/strict';
import { fileSafe, seriesCsv } from '../../../src/runs/charts/csv';
import { groupMetricKeys, metricPrefix } from '../../../src/runs/charts/metric-groups';
import { hashString, runColor } from '../../../src/runs/charts/run-colors';
import { bucketsFor, decodeNumber, decodeY, encodeNumber, summaryToWire, toWire } from '../../../src/runs/charts/series-wire';
import { ema } from '../../../src/runs/charts/smoothing';

describe('series on the wire', () => {
  it('asks for width/2 buckets: M4 keeps ≤ 4 points each, so ≤ 2 points per pixel', () => {
    assert.equal(bucketsFor(800), 400);
    assert.equal(bucketsFor(801), 400);
    assert.equal(bucketsFor(1), 1);
    assert.equal(bucketsFor(0), 1);
  });

  it('carries NaN and ±Infinity through JSON (postMessage would turn them into null)', () => {
    const view = { run: 'r', key: 'k', xAxis: 'step' as const, total: 4, x: [0, 1, 2, 3], y: [1, NaN, Infinity, -Infinity], step: [0, 1, 2, 3], time: [0, 0, 0, 0] };
    const wire = JSON.parse(JSON.stringify(toWire(view)));
    assert.deepEqual(wire.y, [1, 'NaN', 'Infinity', '-Infinity']);
    assert.deepEqual(decodeY(wire), [1, NaN, Infinity, -Infinity]);
    assert.equal(decodeNumber(null), NaN);
    assert.equal(encodeNumber(2.5), 2.5);
    const s = JSON.parse(JSON.stringify(summaryToWire({ key: 'k', last: NaN, min: 1, max: 2, count: 3, lastStep: 2, lastTime: 9 })));
    assert.equal(s.last, 'NaN');
  });

  it('sends finite series as they are (no copy) and records the zoom range', () => {
    const y = [1, 2];
    const wire = toWire({ run: 'r', key: 'k', xAxis: 'time', total: 9, x: [5, 6], y, step: [0, 1], time: [5, 6] }, [5, 6]);
    assert.equal(wire.y, y);
    assert.deepEqual(wire.range, [5, 6]);
    assert.equal(wire.total, 9);
    assert.deepEqual(wire.step, [0, 1], 'sent when x is not the step');
    assert.equal(toWire({ run: 'r', key: 'k', xAxis: 'step', total: 2, x: [0, 1], y, step: [0, 1], time: [5, 6] }).step, undefined);
  });
});

describe('EMA smoothing', () => {
  it('is the identity at weight 0 and debiased (starts at the first value)', () => {
    assert.deepEqual(ema([1, 2, 3], 0), [1, 2, 3]);
    const s = ema([10, 10, 10], 0.9);
    for (const v of s) assert.ok(Math.abs(v - 10) < 1e-9);
  });

  it('lags a step change and passes non-finite values through without poisoning the rest', () => {
    const s = ema([0, 0, 0, 1, 1, 1], 0.5);
    assert.ok(s[3] > 0 && s[3] < 1 && s[5] > s[4]);
    const n = ema([1, NaN, 1], 0.5);
    assert.ok(Number.isNaN(n[1]));
    assert.ok(Math.abs(n[2] - 1) < 1e-9);
  });
});

describe('metric groups', () => {
  it('groups by prefix: bare keys, train, eval, others, system last', () => {
    const groups = groupMetricKeys(['system/cpu', 'eval/acc', 'train/loss', 'zeta/x', 'loss', 'train/acc', 'alpha/y', 'eval/acc']);
    assert.deepEqual(groups, [
      { prefix: '', keys: ['loss'] },
      { prefix: 'train', keys: ['train/acc', 'train/loss'] },
      { prefix: 'eval', keys: ['eval/acc'] },
      { prefix: 'alpha', keys: ['alpha/y'] },
      { prefix: 'zeta', keys: ['zeta/x'] },
      { prefix: 'system', keys: ['system/cpu'] },
    ]);
    assert.equal(metricPrefix('/abs'), '');
  });
});

describe('CSV export', () => {
  it('writes one RFC 4180 row per point, quoting names, keeping NaN', () => {
    const csv = seriesCsv([{ run: 'r1', runName: 'a, "b"', key: 'train/loss', step: [0, 1], time: [0, 1.5], value: [0.5, NaN] }]);
    assert.equal(
      csv,
      'run,run_name,key,step,time,time_iso,value\r\n' +
        'r1,"a, ""b""",train/loss,0,0,1970-01-01T00:00:00.000Z,0.5\r\n' +
        'r1,"a, ""b""",train/loss,1,1.5,1970-01-01T00:00:01.500Z,NaN\r\n',
    );
    assert.equal(fileSafe('run 1-train/loss'), 'run-1-train-loss');
    assert.equal(fileSafe('///'), 'metric');
  });
});

describe('run colours', () => {
  const palette = ['#1', '#2', '#3'];
  it('takes the palette in selection order, then stable hashed hues for any number of runs', () => {
    assert.deepEqual([0, 1, 2].map((i) => runColor(i, `r${i}`, palette)), palette);
    const many = Array.from({ length: 60 }, (_, i) => runColor(i, `run-${i}`, palette));
    assert.equal(new Set(many).size, 60);
    assert.equal(runColor(10, 'run-10', palette), many[10]);
    assert.match(many[40], /^hsl\(\d+(\.\d)?, 62%, 58%\)$/);
    assert.equal(hashString('a'), hashString('a'));
  });
});
