import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CsvSplitter } from '../../../src/datasets/profile/csv-records';
import { profileCsv, ProfileCancelled, readRows } from '../../../src/datasets/profile/profiler';
import { HyperLogLog, StreamingHistogram, ValueCounter } from '../../../src/datasets/profile/sketches';
import { cellKind } from '../../../src/datasets/profile/values';

const HERE = path.join(__dirname, '../../../../test/unit/datasets');

interface PandasColumn { missing: number; count: number; nunique: number; dtype: string; min?: number; max?: number; mean?: number; std?: number; top?: string; top_count?: number }
type Reference = Record<string, { rows: number; columns: Record<string, PandasColumn> }>;

function close(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs pandas ${expected}`);
}

describe('dataset profiler (checked against pandas on real files)', function () {
  this.timeout(60_000);
  let dir: string;
  let reference: Reference;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-profile-'));
    reference = JSON.parse(execFileSync('/usr/bin/python3', [path.join(HERE, 'pandas_reference.py'), dir], { encoding: 'utf8' }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of ['iris', 'wine', 'breast_cancer', 'diabetes', 'messy', 'messy_crlf_bom', 'mixed']) {
    it(`${name}.csv: rows, types, missing, distinct, min/max/mean/std and top values match pandas`, async () => {
      const ref = reference[name];
      const { profile } = await profileCsv(path.join(dir, `${name}.csv`));
      assert.equal(profile.rows, ref.rows);
      assert.deepEqual(profile.columns.map((c) => c.name), Object.keys(ref.columns));
      for (const col of profile.columns) {
        const p = ref.columns[col.name];
        assert.equal(col.missing, p.missing, `${col.name} missing`);
        assert.equal(col.count, p.count, `${col.name} count`);
        assert.equal(col.distinct, p.nunique, `${col.name} distinct`);
        const expectedType = p.dtype === 'int64' ? 'int' : p.dtype === 'float64' ? 'float' : p.dtype === 'bool' ? 'bool' : undefined;
        if (expectedType) assert.equal(col.type, expectedType, `${col.name} type`);
        else assert.ok(['string', 'date', 'mixed'].includes(col.type), `${col.name} is ${col.type}, pandas says ${p.dtype}`);
        if (p.mean !== undefined) {
          close(col.numeric?.min, p.min!, `${col.name} min`);
          close(col.numeric?.max, p.max!, `${col.name} max`);
          close(col.numeric?.mean, p.mean, `${col.name} mean`);
          close(col.numeric?.std, p.std!, `${col.name} std`);
          const hist = col.numeric!.histogram;
          assert.equal(hist.counts.reduce((a, b) => a + b, 0), p.count, `${col.name}: the histogram counts every value`);
          assert.ok(hist.edges[0] <= p.min! && hist.edges[hist.edges.length - 1] >= p.max!, `${col.name}: the histogram spans min..max`);
        }
        if (p.top_count !== undefined && p.top_count > 1) {
          assert.equal(col.top[0].count, p.top_count, `${col.name} top count`);
          assert.equal(col.top[0].value, p.top, `${col.name} top value`);
        }
      }
    });
  }

  it('types and warnings on the messy file: bool, date, quoted newlines, constant, many missing, identifier', async () => {
    const { profile } = await profileCsv(path.join(dir, 'messy.csv'));
    const col = (n: string) => profile.columns.find((c) => c.name === n)!;
    assert.equal(col('flag').type, 'bool');
    assert.equal(col('when').type, 'date');
    assert.equal(col('when').minText, '2020-01-01 00:00:00');
    assert.deepEqual(col('city').top.map((t) => t.value).sort(), ['Lyon, FR', 'New "York"', 'Paris', 'Zürich', 'multi\nline']);
    const kinds = profile.warnings.map((w) => `${w.kind}:${w.column ?? ''}`);
    for (const k of ['constant:constant', 'manyMissing:mostly_missing', 'constant:mostly_missing', 'identifier:id']) assert.ok(kinds.includes(k), `${k} in ${kinds}`);
    const { profile: mixed } = await profileCsv(path.join(dir, 'mixed.csv'));
    assert.equal(mixed.columns[0].type, 'mixed');
    assert.deepEqual(mixed.columns[0].kinds, { int: 3, string: 1 });
    assert.ok(mixed.warnings.some((w) => w.kind === 'mixedTypes' && w.column === 'a'));
  });

  it('reads any row window through the sparse offset index, the same rows pandas reads', async () => {
    const file = path.join(dir, 'messy_crlf_bom.csv');
    const { index, profile } = await profileCsv(file, { indexEvery: 64 });
    assert.equal(index.offsets.length, Math.ceil(5000 / 64));
    const rows = await readRows(index, 1234, 5);
    const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', `import pandas as pd, json; df = pd.read_csv(${JSON.stringify(file)}, dtype=str, keep_default_na=False); print(json.dumps(df.iloc[1234:1239].values.tolist()))`], { encoding: 'utf8' }));
    assert.deepEqual(rows, expected);
    assert.deepEqual((await readRows(index, 0, 3)), profile.head.slice(0, 3));
    assert.equal((await readRows(index, 4998, 10)).length, 2, 'clipped at the end');
  });

  it('streams in small chunks with records straddling every boundary', () => {
    const text = 'a,b,c\r\n"x, ""y""",2,"multi\r\nline"\n3,,\n\n"last",4,5';
    const whole: string[][] = [];
    new CsvSplitter().push(Buffer.from(text), (f) => void whole.push(f));
    for (const size of [1, 2, 3, 7]) {
      const got: string[][] = [];
      const s = new CsvSplitter();
      const buf = Buffer.from(text);
      for (let i = 0; i < buf.length; i += size) s.push(buf.subarray(i, i + size), (f) => void got.push(f));
      s.end((f) => void got.push(f));
      assert.deepEqual(got, [['a', 'b', 'c'], ['x, "y"', '2', 'multi\r\nline'], ['3', '', ''], ['last', '4', '5']], `chunk size ${size}`);
    }
  });

  it('reports progress and can be cancelled', async () => {
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, 'x,y\n' + Array.from({ length: 200_000 }, (_, i) => `${i},${i % 7}`).join('\n'));
    const seen: number[] = [];
    await profileCsv(file, { onProgress: (done) => seen.push(done) });
    assert.equal(seen[seen.length - 1], fs.statSync(file).size);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(profileCsv(file, { signal: controller.signal }), ProfileCancelled);
  });

  it('estimates distinct counts beyond the exact cap (HyperLogLog within 3%) and keeps exact histogram counts', () => {
    const counter = new ValueCounter(1000, 50);
    for (let i = 0; i < 100_000; i++) counter.add(String(i % 50_000));
    assert.equal(counter.isExact, false);
    assert.ok(Math.abs(counter.distinct() - 50_000) / 50_000 < 0.03, `estimate ${counter.distinct()}`);
    const hll = new HyperLogLog();
    for (let i = 0; i < 100; i++) hll.add(`v${i}`);
    assert.ok(Math.abs(hll.estimate() - 100) <= 2);
    const h = new StreamingHistogram(64, 10);
    const xs = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? -1 : 1) * i * 1.5);
    for (const x of xs) h.add(x);
    const r = h.result();
    assert.equal(r.counts.reduce((a, b) => a + b, 0), xs.length);
    assert.ok(r.edges[0] <= Math.min(...xs) && r.edges[r.edges.length - 1] > Math.max(...xs));
    for (let i = 0; i < 200; i++) {
      const x = xs[i * 37];
      const bin = r.edges.findIndex((e, j) => j < r.counts.length && x >= e && x < r.edges[j + 1]);
      assert.ok(bin >= 0, `${x} falls in a bin`);
    }
  });
});

describe('cell kinds (pandas rules)', () => {
  it('tells ints, floats, bools, dates, missing and strings apart', () => {
    const cases: [string, string][] = [
      ['12', 'int'], ['-3', 'int'], ['+7', 'int'], ['1.5', 'float'], ['.5', 'float'], ['5.', 'float'], ['-1e-3', 'float'], ['2E5', 'float'],
      ['inf', 'float'], ['-Infinity', 'float'], ['1e', 'string'], ['1.2.3', 'string'], ['-', 'string'], ['.', 'string'], ['1,5', 'string'],
      ['True', 'bool'], ['false', 'bool'], ['2024-03-01', 'date'], ['2024-03-01T10:00:00Z', 'date'], ['2024-3-1', 'string'],
      ['', 'missing'], ['NA', 'missing'], ['nan', 'missing'], ['NULL', 'missing'], ['None', 'missing'], ['n/a', 'missing'], ['Nancy', 'string'], ['x', 'string'],
    ];
    for (const [s, kind] of cases) assert.equal(cellKind(s), kind, JSON.stringify(s));
  });
});
