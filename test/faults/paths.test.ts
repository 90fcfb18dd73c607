// Guarantee: file, run and model names with "..", absolute paths or odd characters cannot escape the store; run files are opened only inside their run's files/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileSubject } from '../../src/explain/explain-target';
import { isSafeRunFilePath, isSafeRunId, runFilePath } from '../../src/store/paths';
import { JOURNAL_VERSION } from '../../src/store/records';
import { checkModelName } from '../../src/store/registry-names';
import type { TrackingStore } from '../../src/store/tracking-store';
import { appendLines, now, openStore, RunWriter } from '../unit/store/helpers';

/** Names a run file, a model or a run must never turn into a path outside the store (the SDK refuses them too). */
const HOSTILE = [
  '..', '../x', '../../etc/passwd', '../../../../../../../../etc/passwd', 'a/../../x', 'a/..', 'a/../b', `..${'/..'.repeat(60)}/etc/passwd`,
  '/etc/passwd', '/', '//server/share/x', 'C:\\Windows\\system.ini', 'C:x', 'c:/x', 'a:b', '..\\x', 'a\\..\\..\\x', '\\\\server\\share',
  'a\0b', '\0', '../x\0.pkl', '', '.', './', './x', 'a//b', 'x/', 'a/./b', 'file:///etc/passwd', 'x'.repeat(5000),
];
/** Odd but legitimate names: they must work, and stay inside the run. */
const ODD = [
  'model.pkl', 'models/model.pt', 'naïve – ü.json', '日本語/モデル.pkl', 'emoji 🤖.txt', 'with space.txt', 'CON', 'nul.txt', 'aux', 'COM1.txt',
  'LPT1', 'trailing.', 'trailing ', 'line\nbreak.txt', 'tab\tname', 'cr\rname', '%2e%2e/x', '...', '..a', 'a..', '.hidden', '~', '$HOME',
  "'; DROP TABLE files; --", 'x'.repeat(200), 'd/'.repeat(40) + 'deep.bin', 'ab:c', 'a"b<c>d|e?f*g', '\u202Eevil.txt', 'ﬁ\u0301.pkl',
];

/** Every file under `dir` (relative paths), links not followed. */
function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    out.push(path.relative(base, abs));
    if (e.isDirectory()) out.push(...walk(abs, base));
  }
  return out.sort();
}

describe('faults: paths and names cannot escape the store', () => {
  let sandbox: string;
  let root: string;
  let store: TrackingStore | undefined;
  let outsideBefore: string[];
  const RUN = '20261121-205745-aaaaaa';
  let tried = 0;

  before(() => {
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-faults-paths-'));
    root = path.join(sandbox, 'ws', 'deep', '.mlwb');
    fs.mkdirSync(path.join(sandbox, 'outside'), { recursive: true });
    fs.mkdirSync(path.dirname(root), { recursive: true });
    fs.writeFileSync(path.join(sandbox, 'outside', 'secret.txt'), 'outside');
    outsideBefore = walk(sandbox);
  });
  after(async () => {
    await store?.close();
    // Nothing was created, removed or changed outside the store.
    assert.deepEqual(walk(sandbox).filter((p) => !p.startsWith(path.join('ws', 'deep', '.mlwb'))), outsideBefore);
    assert.equal(fs.readFileSync(path.join(sandbox, 'outside', 'secret.txt'), 'utf8'), 'outside');
    fs.rmSync(sandbox, { recursive: true, force: true });
    console.log(`paths: ${tried} name × writer/reader cases, ${HOSTILE.length} hostile and ${ODD.length} odd names`);
  });

  it('run-file paths: hostile ones are refused by the check and by the opener; odd ones open inside the run', async () => {
    const run = new RunWriter(root, { id: RUN });
    const filesDir = path.join(run.dir, 'files');
    for (const name of ODD) {
      fs.mkdirSync(path.dirname(path.join(filesDir, name)), { recursive: true });
      fs.writeFileSync(path.join(filesDir, name), `content of ${name}`);
    }
    store = await openStore(root);
    for (const name of HOSTILE) {
      tried += 2;
      assert.equal(isSafeRunFilePath(name), false, JSON.stringify(name));
      assert.throws(() => runFilePath(store!.layout, RUN, name), /not a path inside run/, JSON.stringify(name));
    }
    for (const name of ODD) {
      tried += 2;
      assert.equal(isSafeRunFilePath(name), true, JSON.stringify(name));
      const abs = runFilePath(store.layout, RUN, name);
      assert.ok(abs.startsWith(fs.realpathSync(filesDir) + path.sep) || abs.startsWith(filesDir + path.sep), abs);
      assert.equal(fs.readFileSync(abs, 'utf8'), `content of ${name}`);
    }
  });

  it('a file record whose path escapes is reported and never listed; odd ones are listed as written', async () => {
    const run = new RunWriter(root, { id: RUN });
    for (const [i, name] of [...HOSTILE, ...ODD].entries()) run.events({ t: 'file', op: 'save', id: `f${i}`, path: name, size: 1, sha256: 'x' });
    await store!.close();
    store = await openStore(root);
    tried += HOSTILE.length + ODD.length;
    assert.deepEqual(store.getRun(RUN)!.files.map((f) => f.path).sort(), [...ODD].sort());
    const escaped = store.problems().filter((p) => /path outside the run's files/.test(p.reason));
    assert.equal(escaped.length, HOSTILE.length);
  });

  it('a run file that is a link pointing outside the run is refused', () => {
    const filesDir = path.join(root, 'runs', RUN, 'files');
    fs.symlinkSync(path.join(sandbox, 'outside', 'secret.txt'), path.join(filesDir, 'link.pkl'));
    fs.symlinkSync(path.relative(filesDir, path.join(sandbox, 'outside')), path.join(filesDir, 'linkdir'));
    fs.symlinkSync(path.join(sandbox, 'nowhere'), path.join(filesDir, 'dangling.pkl'));
    for (const name of ['link.pkl', 'linkdir/secret.txt', 'dangling.pkl']) {
      tried++;
      assert.throws(() => runFilePath(store!.layout, RUN, name), /resolves outside/, name);
    }
    for (const name of ['link.pkl', 'linkdir', 'dangling.pkl']) fs.unlinkSync(path.join(filesDir, name));
  });

  it('run ids: hostile ones are refused, and edits naming them touch nothing', async () => {
    for (const id of [...HOSTILE, '../outside', '.mlwb', 'a..b', '-x']) {
      tried++;
      assert.equal(isSafeRunId(id), false, JSON.stringify(id));
      assert.throws(() => runFilePath(store!.layout, id, 'model.pkl'), /unsafe run id/);
    }
    appendLines(
      path.join(root, 'edits.jsonl'),
      HOSTILE.map((id) => ({ v: JOURNAL_VERSION, t: 'run.deleted', ts: now(), run: id })),
    );
    await store!.refresh();
    assert.deepEqual(store!.listRuns().runs.map((r) => r.id), [RUN]);
  });

  it('metric keys of every name are cached only under the run’s series directory', async () => {
    const run = new RunWriter(root, { id: RUN });
    for (const name of [...HOSTILE, ...ODD]) run.metric(name, [1, 2]);
    await store!.refresh();
    for (const name of [...HOSTILE, ...ODD]) {
      tried++;
      assert.deepEqual(store!.getSeries(RUN, name)?.y, [1, 2], JSON.stringify(name));
    }
    const seriesDir = path.join(root, 'index.series');
    assert.ok(walk(seriesDir).every((p) => p === RUN || p.startsWith(RUN + path.sep)));
  });

  it('model names: hostile ones are refused; registered copies of odd source names land in their version directory', async () => {
    // Sources live in their own temp dir: the sandbox must only change inside the store.
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-faults-sources-'));
    for (const name of HOSTILE) {
      tried++;
      if (name.includes('/') || name.includes('\\') || name.includes('..') || name.trim() === '' || /[\0]/.test(name) || name.length > 128) {
        assert.ok(checkModelName(name) instanceof Error, JSON.stringify(name));
        await assert.rejects(store!.registerVersion(name, { sourceFile: path.join(sandbox, 'outside', 'secret.txt') }));
      }
    }
    // Odd model names and odd source file names (whatever Linux allows in one name).
    const sources = ODD.filter((n) => !n.includes('/')).concat(['..pkl', 'x'.repeat(255), ' ', '.', 'model.pkl.']);
    let i = 0;
    for (const base of sources) {
      const dir = path.join(src, String(i++));
      fs.mkdirSync(dir);
      const file = path.join(dir, base === '.' ? 'dot' : base);
      fs.writeFileSync(file, 'model bytes');
      const model = ODD[i % ODD.length].replace(/[/\\]/g, '_').replace(/\.\./g, '_').replace(/[\u0000-\u001f]/g, '_').slice(0, 128).trim() || 'm';
      tried++;
      const v = await store!.registerVersion(model, { sourceFile: file });
      const detail = store!.getVersion(v.model, v.version)!;
      assert.ok(detail.filePath.startsWith(path.join(root, 'registry', 'models') + path.sep), detail.filePath);
      assert.equal(path.relative(path.join(root, 'registry', 'models'), detail.filePath).split(path.sep).length, 3, detail.filePath);
      assert.equal(fs.readFileSync(detail.filePath, 'utf8'), 'model bytes');
    }
    fs.rmSync(src, { recursive: true, force: true });
  });

  it('a registry record whose path leaves registry/models/<its model>/ is reported and not listed', async () => {
    const bad = ['../../outside/secret.txt', '/etc/passwd', 'registry/models/../../../outside/secret.txt', 'registry/models/other-0123456789ab/1/x.pkl', 'registry/models/m/1/..'];
    appendLines(
      path.join(root, 'registry', 'events.jsonl'),
      bad.map((p, i) => ({ v: JOURNAL_VERSION, t: 'version.registered', ts: now(), id: `bad${i}`, model: 'hostile', version: i + 1, path: p, format: 'pickle', size: 1, sha256: 'x' })),
    );
    await store!.refresh();
    tried += bad.length;
    assert.deepEqual(store!.listVersions('hostile'), []);
    assert.equal(store!.problems().filter((p) => /outside registry\/models|outside its model/.test(p.reason)).length, bad.length);
  });

  it('explanations of a model file of any name are written under the store’s explanations/', () => {
    for (const name of [...HOSTILE, ...ODD]) {
      tried++;
      const subject = fileSubject(store!, path.join(sandbox, 'outside', name.replace(/\0/g, '')));
      if (subject.kind !== 'file') continue;
      assert.ok(subject.outDir.startsWith(path.join(root, 'explanations') + path.sep), subject.outDir);
      assert.equal(path.dirname(subject.outDir), path.join(root, 'explanations'));
    }
  });
});
