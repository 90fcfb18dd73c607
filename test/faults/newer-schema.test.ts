// Guarantee: a store written by a newer version (journal records, run.json, registry records, index.sqlite) gives a clear message, damages no file, and older data stays readable.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import { JOURNAL_VERSION } from '../../src/store/records';
import { SCHEMA_VERSION } from '../../src/store/schema';
import { appendLines, RunWriter } from '../unit/store/helpers';
import { fakePickle } from '../unit/store/registry-helpers';
import { fileBytes, openStore, removeTempDirs, tempDir, WASM } from './store-fault-helpers';

const NEWER = JOURNAL_VERSION + 1;
const skipped = `record version ${NEWER} is newer than ${JOURNAL_VERSION}: skipped (update the extension)`;

/** Everything but the store's own cache (index.sqlite, index.series/), which it may rewrite. */
function truth(root: string): Map<string, Buffer> {
  const all = fileBytes(root);
  for (const f of [...all.keys()]) if (/^index\.(sqlite|series)/.test(f)) all.delete(f);
  return all;
}

/** A store with data of this version, then records a newer version appended to every journal. */
async function storeWithNewerRecords(): Promise<string> {
  const dir = tempDir('newer');
  const root = path.join(dir, '.mlwb');
  new RunWriter(root, { id: 'old', experiment: 'faults/exp' }).params({ lr: 0.1 }).metric('loss', [3, 2, 1]).finish();
  const mixed = new RunWriter(root, { id: 'mixed', experiment: 'faults/exp' }).metric('loss', [5, 4]);
  const s = await openStore(root);
  await s.renameRun('old', 'kept name');
  await s.registerVersion('model', { sourceFile: fakePickle(path.join(dir, 'm.pkl')) });
  await s.close();
  const ts = Date.now() / 1000;
  mixed.events({ v: NEWER, t: 'metrics', series: { loss: { step: [2], value: [3], time: [ts] } }, shape: 'a future field' });
  mixed.events({ v: NEWER, t: 'status', status: 'completed' });
  const future = new RunWriter(root, { id: 'future', experiment: 'faults/exp' });
  fs.writeFileSync(path.join(future.dir, 'run.json'), JSON.stringify({ ...future.manifest, v: NEWER }));
  appendLines(path.join(root, 'experiments.jsonl'), [{ v: NEWER, t: 'experiment.renamed', ts, id: 'faults/exp', name: 'renamed by a newer version' }]);
  appendLines(path.join(root, 'edits.jsonl'), [{ v: NEWER, t: 'run.notes', ts, run: 'old', notes: 'from the future' }]);
  appendLines(path.join(root, 'registry', 'events.jsonl'), [{ v: NEWER, t: 'alias.set', ts, id: 'f1', model: 'model', alias: 'champion', version: 1 }]);
  return root;
}

describe('faults: a store written by a newer version', () => {
  after(removeTempDirs);

  for (const index of ['an index of this version', 'no index (rebuilt)']) {
    it(`newer journal, run.json and registry records (${index}): reported with an exact reason, skipped, files untouched, older data readable`, async () => {
      const root = await storeWithNewerRecords();
      if (index.startsWith('no index')) fs.rmSync(path.join(root, 'index.sqlite'));
      const before = truth(root);
      const s = await openStore(root);
      try {
        const reasons = s.problems().map((p) => `${p.file}${p.line ? `:${p.line}` : ''} ${p.reason}`).sort();
        assert.deepEqual(reasons, [
          `edits.jsonl:2 ${skipped}`,
          `experiments.jsonl:1 ${skipped}`,
          `registry/events.jsonl:3 ${skipped}`,
          `runs/future/run.json run.json version ${NEWER} is newer than ${JOURNAL_VERSION}: skipped (update the extension)`,
          `runs/mixed/events.jsonl:3 ${skipped}`,
          `runs/mixed/events.jsonl:4 ${skipped}`,
        ]);
        const old = s.getRun('old');
        assert.equal(old?.name, 'kept name');
        assert.equal(old?.notes, undefined, 'the newer note is not half-applied');
        assert.deepEqual(old?.params, { lr: 0.1 });
        assert.equal(s.getSeries('old', 'loss')?.total, 3);
        assert.equal(s.getRun('mixed')?.metrics[0].count, 2, 'the older points of a run that also has newer records');
        assert.equal(s.getRun('mixed')?.status, 'running');
        assert.equal(s.getRun('future'), undefined);
        assert.equal(s.listExperiments()[0].name, 'exp');
        assert.equal(s.listVersions('model').length, 1);
        assert.equal(s.versionByAlias('model', 'champion'), undefined);
      } finally {
        await s.close();
      }
      assert.deepEqual(truth(root), before, 'every journal, run.json and model file byte for byte');
    });
  }

  it('index.sqlite of a newer schema: rebuilt in memory with a clear reason, the file left byte for byte, edits still journaled', async () => {
    const root = await storeWithNewerRecords();
    const file = path.join(root, 'index.sqlite');
    const SQL = await initSqlJs({ wasmBinary: fs.readFileSync(WASM) as unknown as ArrayBuffer });
    const db = new SQL.Database(fs.readFileSync(file));
    db.run('UPDATE schema_version SET version = ?', [SCHEMA_VERSION + 1]);
    fs.writeFileSync(file, db.export());
    db.close();
    const newerIndex = fs.readFileSync(file);
    const s = await openStore(root);
    try {
      assert.equal(
        s.opened.rebuilt,
        `index.sqlite was written by a newer MLOps Workbench (index schema ${SCHEMA_VERSION + 1}; this version reads ${SCHEMA_VERSION}): ` +
          'it is left as it is and this window keeps its own index in memory; update the extension',
      );
      assert.equal(s.getRun('old')?.name, 'kept name');
      await s.setRunTags('old', ['still', 'editable']);
      assert.deepEqual(s.getRun('old')?.tags, ['editable', 'still']);
      await s.saveNow();
    } finally {
      await s.close();
    }
    assert.deepEqual(fs.readFileSync(file), newerIndex, "the newer version's index is not overwritten");
    assert.match(fs.readFileSync(path.join(root, 'edits.jsonl'), 'utf8'), /"editable"/);
  });
});
