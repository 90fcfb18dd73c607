import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { blobPath, codeChanges, codeLines, readCodeManifest, workingCopyChanges, type CodeManifest } from '../../../src/runs/diff/code-snapshot';

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

  it('finds the snapshot files the working copy has changed or lost (never a path outside the workspace)', () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-ws-'));
    try {
      const hash = (t: string) => createHash('sha256').update(t).digest('hex');
      fs.writeFileSync(path.join(ws, 'same.py'), 'A = 1\n');
      fs.writeFileSync(path.join(ws, 'train.py'), 'lr = 0.3\n');
      const manifest: CodeManifest = {
        root: ws,
        files: [
          { path: 'train.py', sha256: hash('lr = 0.1\n'), size: 9 },
          { path: 'same.py', sha256: hash('A = 1\n'), size: 6 },
          { path: 'gone.py', sha256: hash('B = 2\n'), size: 6 },
          { path: '../outside.py', sha256: hash('x'), size: 1 },
        ],
      };
      assert.deepEqual(workingCopyChanges(manifest, ws), [
        { path: 'gone.py', left: hash('B = 2\n'), exists: false },
        { path: 'train.py', left: hash('lr = 0.1\n'), exists: true },
      ]);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
