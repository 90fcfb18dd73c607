import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTempStores, tempStore } from './helpers';

describe('journal appends', () => {
  after(removeTempStores);

  it('lines of processes appending at once never interleave', async () => {
    const root = tempStore();
    const file = path.join(root, 'edits.jsonl');
    const module = require.resolve('../../../src/store/append');
    const writer = (id: number) =>
      new Promise<void>((resolve, reject) => {
        const script = `const { appendRecords } = require(${JSON.stringify(module)});
          for (let i = 0; i < 200; i++) appendRecords(${JSON.stringify(file)}, [{ w: ${id}, i, pad: 'x'.repeat(1000 + (i * 997) % 9000) }]);`;
        const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
      });
    await Promise.all([0, 1, 2, 3].map(writer));
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    // Blank lines may appear (a writer saw another's line half-written and closed it): readers skip them.
    const lines = text.split('\n').filter((l) => l !== '');
    const records = lines.map((l) => JSON.parse(l) as { w: number; i: number });
    assert.equal(records.length, 800);
    for (const w of [0, 1, 2, 3]) assert.deepEqual(records.filter((r) => r.w === w).map((r) => r.i), Array.from({ length: 200 }, (_, i) => i));
  });
});

describe('store boundaries', () => {
  it('nothing under src/store imports vscode', () => {
    const dir = path.resolve(__dirname, '../../../../src/store');
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      assert.doesNotMatch(fs.readFileSync(path.join(dir, f), 'utf8'), /from ['"]vscode['"]|require\(['"]vscode['"]\)/, f);
    }
  });
});
