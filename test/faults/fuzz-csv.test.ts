// Guarantee: the dataset profiler takes any file (ragged rows, bad quoting, BOMs, invalid UTF-8, empty, header-only, huge fields, binary garbage) and gives a profile with warnings, never an exception, and its row reader pages through what it indexed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileCsv, readRows } from '../../src/datasets/profile/profiler';
import { fuzzSeed, NASTY_STRINGS, Prng } from './fuzz-helpers';

function cell(r: Prng): string {
  return r.pick<() => string>([
    () => String(r.int(1000)),
    () => (r.next() * 100).toFixed(3),
    () => r.pick(['', 'NA', 'null', 'true', 'False', '2024-01-02', '1e309', '-', '"', '""', '"a,b"', '"open', 'a"b', '\t', ' ']),
    () => r.pick(NASTY_STRINGS),
    () => r.bytes(r.int(8)).toString('latin1'),
  ])();
}

/** A CSV-ish file: mostly a table, with the faults real files have. */
function csvish(r: Prng): Buffer {
  const parts: Buffer[] = [];
  if (r.chance(0.2)) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  const width = 1 + r.int(8);
  const delim = r.pick([',', ';', '\t', '|']);
  const eol = r.pick(['\n', '\r\n', '\r']);
  const rows = r.pick([0, 1, 2, 10, 200]);
  for (let i = 0; i <= rows; i++) {
    const w = r.chance(0.1) ? r.int(width * 2 + 1) : width; // ragged
    parts.push(Buffer.from(Array.from({ length: w }, () => (i === 0 ? `c${r.int(5)}` : cell(r))).join(delim) + eol, 'latin1'));
    if (r.chance(0.02)) parts.push(r.bytes(r.int(100))); // binary garbage in between
  }
  if (r.chance(0.1)) parts.push(Buffer.from([0xff, 0xfe, 0xc3])); // invalid UTF-8, cut mid-character
  return Buffer.concat(parts);
}

describe('fuzz: CSV files in the dataset profiler', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-fuzz-csv-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('any bytes: a profile (with warnings where due), never an exception; rows read back by the index', async () => {
    const seed = fuzzSeed(6006);
    const r = new Prng(seed);
    const files: [string, Buffer][] = [
      ['empty.csv', Buffer.alloc(0)],
      ['bom-only.csv', Buffer.from([0xef, 0xbb, 0xbf])],
      ['header-only.csv', Buffer.from('a,b,c\n')],
      ['header-no-newline.csv', Buffer.from('a,b,c')],
      ['newlines.csv', Buffer.from('\n\n\r\n\n')],
      ['unclosed-quote.csv', Buffer.from('a,b\n"1,2\n3,4\n5,6\n')],
      ['huge-field.csv', Buffer.concat([Buffer.from('a,b\n1,"'), Buffer.alloc(30 * 1024 * 1024, 0x78), Buffer.from('"\n2,3\n')])],
      ['huge-unquoted.csv', Buffer.concat([Buffer.from('a\n'), Buffer.alloc(20 * 1024 * 1024, 0x79), Buffer.from('\n')])],
      ['binary.csv', r.bytes(200_000)],
      ['nul.csv', Buffer.alloc(10_000)],
      ['utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')])],
    ];
    for (let i = 0; i < 150; i++) files.push([`fuzz${i}.${r.pick(['csv', 'tsv', 'txt'])}`, csvish(r)]);
    for (const [name, bytes] of files) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, bytes);
      let result;
      try {
        result = await profileCsv(file, { indexEvery: 7 });
      } catch (err) {
        assert.fail(`seed ${seed}: ${name} threw ${(err as Error).stack}`);
      }
      const { profile, index } = result;
      assert.equal(profile.bytes, bytes.length);
      assert.ok(Number.isInteger(profile.rows) && profile.rows >= 0);
      if (profile.rows === 0) assert.ok(profile.warnings.some((w) => w.kind === 'noRows'), `${name}: no rows, and it says so`);
      for (const c of profile.columns) assert.equal(typeof c.name, 'string');
      JSON.stringify(profile); // it crosses into the webview as JSON
      const page = await readRows(index, Math.max(0, profile.rows - 20), 20);
      assert.equal(page.length, Math.min(20, profile.rows), `${name}: the last rows read back through the index`);
    }
    console.log(`fuzz: CSVs (dataset profiler): seed ${seed}, ${files.length} files (one 30 MB field), 0 crashes`);
  });
});
