import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJournalLines, type JournalLine } from '../../../src/store/journal-reader';
import { removeTempStores, tempStore } from './helpers';

async function readAll(file: string, offset = 0, chunk?: number): Promise<JournalLine[]> {
  const out: JournalLine[] = [];
  for await (const lines of readJournalLines(file, { offset, line: 0 }, chunk)) out.push(...lines);
  return out;
}

describe('journal reader', () => {
  let file: string;
  beforeEach(() => {
    const root = tempStore();
    fs.mkdirSync(root, { recursive: true });
    file = path.join(root, 'j.jsonl');
  });
  after(removeTempStores);

  it('yields complete lines with byte offsets and leaves a torn last line', async () => {
    fs.writeFileSync(file, '{"a":1}\n\n{"b":"é"}\n{"c":');
    const lines = await readAll(file);
    assert.deepEqual(lines.map((l) => [l.text, l.line, l.start, l.end]), [
      ['{"a":1}', 1, 0, 8],
      ['{"b":"é"}', 3, 9, 20],
    ]);
  });

  it('gives the same lines whatever the chunk size (lines split across chunks)', async () => {
    const text = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, s: 'x'.repeat(i * 7), u: 'ü€😀' })).join('\n') + '\n';
    fs.writeFileSync(file, text);
    const whole = await readAll(file);
    for (const chunk of [1, 3, 17, 64, 1000]) assert.deepEqual(await readAll(file, 0, chunk), whole);
    assert.equal(whole.length, 50);
    assert.equal(whole[49].end, Buffer.byteLength(text));
  });

  it('starts at an offset and strips CR of CRLF lines', async () => {
    fs.writeFileSync(file, '{"a":1}\r\n{"b":2}\r\n');
    const lines = await readAll(file, 9);
    assert.deepEqual(lines.map((l) => l.text), ['{"b":2}']);
    assert.equal(lines[0].start, 9);
  });

  it('flags invalid UTF-8 but still decodes the line', async () => {
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"m":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}\n{"ok":"\uFFFD"}\n')]));
    const [bad, ok] = await readAll(file);
    assert.equal(bad.badUtf8, true);
    assert.equal(JSON.parse(bad.text).m, 'a\uFFFD\uFFFDb');
    assert.equal(ok.badUtf8, false, 'a real U+FFFD is valid UTF-8');
  });
});
