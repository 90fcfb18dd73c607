import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blobPath, codeChanges, codeLines, readCodeManifest, type CodeManifest } from '../../../src/runs/diff/code-snapshot';

const sha = (c: string) => c.repeat(64);

describe('diff runs: code snapshots (the runner\'s code.json and content-addressed blobs)', () => {
  const a: CodeManifest = { root: '/ws', files: [{ path: 'train.py', sha256: sha('a'), size: 10 }, { path: 'lib/f.py', sha256: sha('b'), size: 5 }] };
  const b: CodeManifest = { root: '/ws', files: [{ path: 'train.py', sha256: sha('c'), size: 11 }, { path: 'lib/f.py', sha256: sha('b'), size: 5 }, { path: 'lib/g.py', sha256: sha('d'), size: 1 }], capped: 'more than 200 files' };

  it('names the files that differ or that only one run has', () => {
    assert.deepEqual(codeChanges(a, b), [
      { path: 'lib/g.py', right: sha('d') },
      { path: 'train.py', left: sha('a'), right: sha('c') },
    ]);
    assert.deepEqual(codeChanges(a, a), []);
  });

  it('lists every path of both sides in the summary, with this side\'s hash', () => {
    assert.deepEqual(codeLines(a, b), ['lib/f.py: sha256 bbbbbbbbbbbb · 5 bytes', 'lib/g.py: —', 'train.py: sha256 aaaaaaaaaaaa · 10 bytes']);
    assert.deepEqual(codeLines(b, a).at(-1), 'left out: more than 200 files');
    assert.deepEqual(codeLines(undefined, a)[0], '(this run kept no code snapshot)');
    assert.deepEqual(codeLines(undefined, undefined), []);
  });

  it('reads code.json as untrusted input, and blob paths only for sha256 names', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-code-'));
    try {
      fs.mkdirSync(path.join(root, 'runs', 'r1'), { recursive: true });
      fs.writeFileSync(path.join(root, 'runs', 'r1', 'code.json'), JSON.stringify({ v: 1, root: '/ws', files: [a.files[0], { path: 'x.py', sha256: '../../etc/passwd', size: 1 }, 'junk'] }));
      assert.deepEqual(readCodeManifest(root, 'r1'), { root: '/ws', files: [a.files[0]] });
      assert.equal(readCodeManifest(root, 'missing'), undefined);
      assert.equal(readCodeManifest(root, '../r1'), undefined);
      assert.equal(blobPath(root, sha('a')), path.join(root, 'code', 'aa', sha('a')));
      assert.throws(() => blobPath(root, '../x'), /not a sha256/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
