import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REGISTRY_JOURNAL } from '../../../src/store/registry-names';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { openStore, removeTempStores, RunWriter, tempStore } from './helpers';
import { fakePickle, python, writeFile } from './registry-helpers';
import { snapshot } from './snapshot';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('model registry', function () {
  this.timeout(60_000);
  let root: string;
  let work: string;
  const stores: TrackingStore[] = [];
  const open = async () => {
    const s = await openStore(root);
    stores.push(s);
    return s;
  };
  /** Closes the store, deletes the index and opens again: only the journals remain. */
  const rebuilt = async (store: TrackingStore) => {
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    fs.rmSync(path.join(root, 'index.sqlite'));
    const again = await open();
    assert.ok(again.opened.rebuilt);
    return again;
  };
  const journal = () =>
    fs.readFileSync(path.join(root, REGISTRY_JOURNAL), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const stages = (s: TrackingStore, model: string) => Object.fromEntries(s.listVersions(model).map((v) => [v.version, v.stage]));
  beforeEach(() => {
    root = tempStore();
    work = path.join(path.dirname(root), 'work');
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  after(removeTempStores);

  it('registers a run file and any file: copies with hash, numbers per model, format, size, metrics snapshot, features', async () => {
    const run = new RunWriter(root, { id: 'r1', experiment: 'iris' }).metric('val/acc', [0.5, 0.9, 0.8]).metric('loss', [2, 'NaN']).finish();
    const runFile = fakePickle(path.join(run.dir, 'files', 'models', 'model.pkl'), 'run model');
    const store = await open();
    const v1 = await store.registerVersion('iris-classifier', { sourceFile: runFile, description: 'first', tags: ['sklearn', 'sklearn'], featureNames: ['a', 'b'] });
    assert.deepEqual(v1, { model: 'iris-classifier', version: 1 });
    const xgb = writeFile(path.join(work, 'xgb.json'), JSON.stringify({ learner: { feature_names: ['f1', 'f2', 'f3'], learner_model_param: { num_feature: '3' } } }));
    const v2 = await store.registerVersion('iris-classifier', { sourceFile: xgb });
    assert.equal(v2.version, 2);
    assert.equal((await store.registerVersion('other', { sourceFile: xgb })).version, 1, 'numbers are per model');

    const d1 = store.getVersion('iris-classifier', 1)!;
    assert.equal(d1.format, 'pickle');
    assert.equal(d1.sourceRun, 'r1', 'inferred from the file being inside the run');
    assert.equal(d1.sourceFile, 'runs/r1/files/models/model.pkl');
    assert.equal(d1.size, fs.statSync(runFile).size);
    assert.equal(d1.sha256, sha256(runFile));
    assert.deepEqual(d1.featureNames, ['a', 'b']);
    assert.equal(d1.nFeatures, 2);
    assert.deepEqual([d1.description, d1.tags, d1.stage, d1.aliases], ['first', ['sklearn'], 'none', []]);
    assert.deepEqual(d1.metrics['val/acc'], { last: 0.8, min: 0.5, max: 0.9, count: 3, step: 2 });
    assert.equal(d1.metrics.loss.last, 'NaN');
    assert.equal(d1.run?.id, 'r1');
    assert.equal(d1.fileMissing, false);
    assert.match(d1.path, /^registry\/models\/iris-classifier-[0-9a-f]{12}\/1\/model\.pkl$/);
    assert.equal(d1.filePath, path.join(root, ...d1.path.split('/')));
    assert.equal(sha256(d1.filePath), d1.sha256);
    assert.ok(!fs.lstatSync(d1.filePath).isSymbolicLink());
    assert.deepEqual(d1.stageHistory.map((h) => [h.from, h.to]), [[undefined, 'none']]);

    const d2 = store.getVersion('iris-classifier', 2)!;
    assert.deepEqual([d2.format, d2.featureNames, d2.nFeatures, d2.sourceRun, d2.sourceFile], ['xgboost-json', ['f1', 'f2', 'f3'], 3, undefined, xgb]);
    assert.deepEqual(d2.metrics, {});

    assert.deepEqual(
      store.listModels().map((m) => [m.name, m.versionCount, m.latestVersion, m.productionVersion]),
      [['iris-classifier', 2, 2, undefined], ['other', 1, 1, undefined]],
    );
    assert.equal(store.runActivity(3).models, 2);
    assert.deepEqual(journal().map((e) => e.t), ['model.created', 'version.registered', 'version.registered', 'model.created', 'version.registered']);
    assert.deepEqual(fs.readdirSync(path.join(root, 'registry', 'tmp')), [], 'no temp copies left');

    // The run goes away: the version keeps its bytes and its metrics snapshot.
    await store.deleteRun('r1');
    fs.rmSync(run.dir, { recursive: true });
    await store.refresh();
    const after = store.getVersion('iris-classifier', 1)!;
    assert.equal(after.run, undefined);
    assert.equal(after.metrics['val/acc'].last, 0.8);
    assert.equal(after.fileMissing, false);
  });

  it('registers a real pickle written by Python and a real XGBoost model with its feature names', async function () {
    const pkl = path.join(work, 'real.pkl');
    const xgb = path.join(work, 'real.json');
    fs.mkdirSync(work, { recursive: true });
    if (python("import pickle,sys; pickle.dump({'a':1}, open(sys.argv[1],'wb'))", pkl) === undefined) this.skip();
    const store = await open();
    assert.equal((await store.registerVersion('real', { sourceFile: pkl })).version, 1);
    assert.equal(store.getVersion('real', 1)?.format, 'pickle');
    assert.equal(store.getVersion('real', 1)?.featureNames, undefined, 'a pickle does not say without Python');
    const code = `
import sys, numpy as np, xgboost as xgb
X = np.random.default_rng(1).random((30, 2)); y = (X[:, 1] > 0.5).astype(int)
b = xgb.train({'objective': 'binary:logistic'}, xgb.DMatrix(X, label=y, feature_names=['height', 'weight']), 2)
b.save_model(sys.argv[1])`;
    if (python(code, xgb) === undefined) this.skip();
    await store.registerVersion('real', { sourceFile: xgb });
    assert.deepEqual([store.getVersion('real', 2)?.format, store.getVersion('real', 2)?.featureNames], ['xgboost-json', ['height', 'weight']]);
  });

  it('a registration that fails leaves neither a journal record nor copied bytes', async () => {
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    await store.registerVersion('m', { sourceFile: file });
    const journalFile = path.join(root, REGISTRY_JOURNAL);
    const lines = fs.readFileSync(journalFile, 'utf8');
    // The module object itself (an `import * as` namespace is read-only): the store sees the stub.
    const nodeFs = require('node:fs') as typeof fs;
    const realOpen = nodeFs.openSync;
    nodeFs.openSync = ((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      if (String(p) === journalFile && flags === 'a+') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return realOpen(p, flags ?? 'r', mode);
    }) as typeof fs.openSync;
    try {
      await assert.rejects(store.registerVersion('m', { sourceFile: file }), /ENOSPC/);
    } finally {
      nodeFs.openSync = realOpen;
    }
    assert.equal(fs.readFileSync(journalFile, 'utf8'), lines);
    const modelDir = path.dirname(path.dirname(store.getVersion('m', 1)!.filePath));
    assert.deepEqual(fs.readdirSync(modelDir), ['1'], 'the placed copy was removed');
    assert.deepEqual(fs.readdirSync(path.join(root, 'registry', 'tmp')), []);
    assert.ok(!fs.existsSync(path.join(root, 'registry', '.lock')));
    // Leftovers of a crash long ago are swept by the next registration; a recent one may be a copy in progress.
    const tmp = path.join(root, 'registry', 'tmp');
    fs.mkdirSync(path.join(tmp, 'crashed'));
    fs.mkdirSync(path.join(tmp, 'in-progress'));
    const old = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(path.join(tmp, 'crashed'), old, old);
    assert.equal((await store.registerVersion('m', { sourceFile: file })).version, 2);
    assert.deepEqual(fs.readdirSync(tmp), ['in-progress']);
  });

  it('refuses bad sources and names, writing nothing', async () => {
    new RunWriter(root, { id: 'r1' }).finish();
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    await assert.rejects(store.registerVersion('m', { sourceFile: path.join(work, 'missing.pkl') }), /no such file/);
    await assert.rejects(store.registerVersion('m', { sourceFile: work }), /not a regular file/);
    await assert.rejects(store.registerVersion('m', { sourceFile: file, sourceRun: 'nope' }), /no run "nope"/);
    await assert.rejects(store.registerVersion('  ', { sourceFile: file }), /needs a name/);
    await assert.rejects(store.registerVersion('a/b', { sourceFile: file }), /cannot contain "\/"/);
    await assert.rejects(store.registerVersion('a\\b', { sourceFile: file }), /cannot contain/);
    await assert.rejects(store.registerVersion('..', { sourceFile: file }), /cannot contain "\.\."/);
    await assert.rejects(store.registerVersion('bad\nname', { sourceFile: file }), /control characters/);
    await assert.rejects(store.registerVersion('x'.repeat(129), { sourceFile: file }), /at most 128/);
    await assert.rejects(store.registerVersion('m', { sourceFile: file, tags: 'a' as unknown as string[] }), /tags must be a list/);
    assert.ok(!fs.existsSync(path.join(root, REGISTRY_JOURNAL)));
    assert.ok(!fs.existsSync(path.join(root, 'registry', 'models')));
    // Names with spaces, dots and any letters are fine, and map to safe directories.
    await store.registerVersion('Ïris v2.0 (prod)', { sourceFile: file, sourceRun: 'r1' });
    const v = store.getVersion('Ïris v2.0 (prod)', 1)!;
    assert.match(v.path, /^registry\/models\/ris_v2_0_prod-[0-9a-f]{12}\/1\/m\.pkl$/);
    assert.equal(v.sourceRun, 'r1');
  });

  it('promotes through stages with one production version per model, and keeps the history with times', async () => {
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    for (let i = 0; i < 3; i++) await store.registerVersion('m', { sourceFile: file });
    assert.deepEqual(await store.setStage('m', 1, 'staging'), { archived: [] });
    assert.deepEqual(await store.setStage('m', 1, 'production'), { archived: [] });
    assert.deepEqual(await store.setStage('m', 2, 'staging'), { archived: [] });
    assert.deepEqual(await store.setStage('m', 2, 'production'), { archived: [1] }, 'the user is told which version was archived');
    assert.deepEqual(stages(store, 'm'), { 1: 'archived', 2: 'production', 3: 'none' });
    assert.equal(store.listModels()[0].productionVersion, 2);
    assert.deepEqual(await store.setStage('m', 2, 'production'), { archived: [] }, 'already there: nothing changes');
    assert.deepEqual(await store.setStage('m', 3, 'production'), { archived: [2] });
    assert.deepEqual(await store.setStage('m', 1, 'staging'), { archived: [] });
    assert.deepEqual(stages(store, 'm'), { 1: 'staging', 2: 'archived', 3: 'production' });
    assert.deepEqual(store.listModels()[0].stagingVersions, [1]);

    const h2 = store.getVersion('m', 2)!.stageHistory;
    assert.deepEqual(h2.map((h) => [h.from, h.to, h.archivedBy]), [
      [undefined, 'none', undefined], ['none', 'staging', undefined], ['staging', 'production', undefined], ['production', 'archived', 3],
    ]);
    assert.ok(h2.every((h, i) => typeof h.ts === 'number' && (i === 0 || h.ts >= h2[i - 1].ts!)));
    const history = store.modelHistory('m');
    assert.deepEqual(history.filter((h) => h.kind === 'stage').map((h) => `${h.version}:${h.from}->${h.to}${h.archivedBy ? ` by ${h.archivedBy}` : ''}`), [
      '1:none->staging', '1:staging->production', '2:none->staging', '2:staging->production', '1:production->archived by 2',
      '3:none->production', '2:production->archived by 3', '1:archived->staging',
    ]);
    assert.deepEqual(history.map((h) => h.seq), history.map((_, i) => i + 1));
    // The journal holds the promotions only; archivals are derived from them.
    assert.deepEqual(journal().filter((e) => e.t === 'version.stage').map((e) => [e.version, e.from, e.to]), [
      [1, 'none', 'staging'], [1, 'staging', 'production'], [2, 'none', 'staging'], [2, 'staging', 'production'], [3, 'none', 'production'], [1, 'archived', 'staging'],
    ]);
    await assert.rejects(store.setStage('m', 9, 'staging'), /has no version 9/);
    await assert.rejects(store.setStage('nope', 1, 'staging'), /no model "nope"/);
    await assert.rejects(store.setStage('m', 1, 'Production' as never), /unknown stage "Production"/);
    await assert.rejects(store.setStage('m', 0, 'staging'), /invalid version 0/);
  });

  it('moves aliases atomically, follows MLflow naming rules and resolves "latest"', async () => {
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    for (let i = 0; i < 3; i++) await store.registerVersion('m', { sourceFile: file });
    assert.deepEqual(await store.setAlias('m', 'champion', 1), {});
    assert.deepEqual(await store.setAlias('m', 'candidate', 2), {});
    assert.deepEqual(await store.setAlias('m', 'champion', 2), { previous: 1 }, 'the old holder loses it');
    assert.deepEqual(await store.setAlias('m', 'champion', 2), {});
    assert.deepEqual(store.getVersion('m', 1)?.aliases, []);
    assert.deepEqual(store.getVersion('m', 2)?.aliases, ['candidate', 'champion']);
    assert.equal(store.versionByAlias('m', 'champion')?.version, 2);
    assert.equal(store.versionByAlias('m', 'latest')?.version, 3);
    assert.equal(store.versionByAlias('m', 'LATEST')?.version, 3);
    assert.equal(store.versionByAlias('m', 'nobody'), undefined);
    assert.deepEqual(store.listModels()[0].aliases, { candidate: 2, champion: 2 });
    const moved = store.modelHistory('m').filter((h) => h.kind === 'alias.set' && h.alias === 'champion');
    assert.deepEqual(moved.map((h) => [h.version, h.fromVersion]), [[1, undefined], [2, 1]]);

    await store.removeAlias('m', 'candidate');
    assert.deepEqual(store.getVersion('m', 2)?.aliases, ['champion']);
    await assert.rejects(store.removeAlias('m', 'candidate'), /has no alias "candidate"/);

    const bad: [string, RegExp][] = [
      ['', /cannot be empty/],
      ['with space', /only contain letters, digits, underscores \(_\) and dashes \(-\)/],
      ['a.b', /only contain letters/],
      ['a/b', /only contain letters/],
      ['latest', /"latest" is reserved/],
      ['Latest', /"latest" is reserved/],
      ['v1', /looks like a version reference/],
      ['V12', /looks like a version reference/],
      ['x'.repeat(256), /at most 255/],
    ];
    for (const [alias, message] of bad) await assert.rejects(store.setAlias('m', alias, 1), message, alias);
    for (const ok of ['v1a', 'version1', 'prod-eu_2', 'Ünïcode', 'x'.repeat(255), '1']) await store.setAlias('m', ok, 1);
    await assert.rejects(store.setAlias('m', 'champion', 7), /has no version 7/);
  });

  it('describes and tags models and versions', async () => {
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    assert.equal(await store.createModel(' m ', { description: 'the model', tags: ['a'] }), 'm');
    await assert.rejects(store.createModel('m'), /already exists/);
    await store.registerVersion('m', { sourceFile: file });
    await store.describeModel('m', 'better words');
    await store.setModelTags('m', ['x', 'y', 'x']);
    await store.describeVersion('m', 1, 'v1 notes');
    await store.setVersionTags('m', 1, ['t']);
    const m = store.listModels()[0];
    assert.deepEqual([m.name, m.description, m.tags], ['m', 'better words', ['x', 'y']]);
    assert.deepEqual([store.getVersion('m', 1)?.description, store.getVersion('m', 1)?.tags], ['v1 notes', ['t']]);
    assert.deepEqual(store.modelHistory('m').map((h) => h.kind), ['model.created', 'registered', 'model.described', 'model.tags', 'described', 'tags']);
    await assert.rejects(store.describeVersion('m', 2, 'x'), /has no version 2/);
    await assert.rejects(store.describeModel('nope', 'x'), /no model "nope"/);
  });

  it('deletes versions and models with their files; numbers are not reused within a model; a deleted name starts over', async () => {
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    for (let i = 0; i < 3; i++) await store.registerVersion('m', { sourceFile: file });
    await store.registerVersion('keep', { sourceFile: file });
    await store.setStage('m', 3, 'production');
    await store.setAlias('m', 'champion', 3);
    const v3 = store.getVersion('m', 3)!;
    await store.deleteVersion('m', 3);
    assert.equal(store.getVersion('m', 3), undefined);
    assert.ok(!fs.existsSync(path.dirname(v3.filePath)), 'its bytes are gone');
    assert.equal(store.versionByAlias('m', 'champion'), undefined, 'its aliases went with it');
    assert.deepEqual(store.listModels().find((x) => x.name === 'm'), {
      ...store.listModels().find((x) => x.name === 'm'), versionCount: 2, latestVersion: 2, productionVersion: undefined, aliases: {},
    });
    assert.equal((await store.registerVersion('m', { sourceFile: file })).version, 4, 'number 3 is not given again');
    await assert.rejects(store.deleteVersion('m', 3), /has no version 3/);

    const modelDir = path.dirname(path.dirname(store.getVersion('m', 1)!.filePath));
    await store.deleteModel('m');
    assert.ok(!fs.existsSync(modelDir));
    assert.deepEqual(store.listModels().map((x) => x.name), ['keep']);
    assert.deepEqual(store.listVersions('m'), []);
    assert.deepEqual(store.modelHistory('m'), []);
    assert.equal(store.runActivity(3).models, 1);
    await assert.rejects(store.deleteModel('m'), /no model "m"/);
    assert.equal((await store.registerVersion('m', { sourceFile: file })).version, 1, 'a new model of that name starts at 1');
    assert.equal(store.getVersion('keep', 1)?.fileMissing, false);
    assert.deepEqual(fs.readdirSync(path.join(root, 'registry', 'tmp')), []);
  });

  it('rebuilds the same registry from its journal', async () => {
    new RunWriter(root, { id: 'r1', experiment: 'e' }).metric('acc', [0.1, 0.7]).finish();
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    await store.createModel('a', { description: 'A', tags: ['t'] });
    for (let i = 0; i < 4; i++) await store.registerVersion('a', { sourceFile: file, sourceRun: 'r1', description: `v${i}` });
    await store.registerVersion('b', { sourceFile: file });
    await store.setStage('a', 1, 'production');
    await store.setStage('a', 2, 'staging');
    await store.setStage('a', 3, 'production');
    await store.setAlias('a', 'champion', 3);
    await store.setAlias('a', 'champion', 2);
    await store.setAlias('a', 'old', 1);
    await store.deleteVersion('a', 4);
    await store.setVersionTags('a', 2, ['x']);
    await store.deleteModel('b');
    await store.registerVersion('b', { sourceFile: file });
    const before = snapshot(store);
    const again = await rebuilt(store);
    assert.deepEqual(snapshot(again), before);
    assert.equal(again.listModels().find((m) => m.name === 'a')?.productionVersion, 3);
    // And an index saved and reopened is the same too.
    await again.close();
    stores.splice(stores.indexOf(again), 1);
    const reopened = await open();
    assert.equal(reopened.opened.rebuilt, undefined);
    assert.deepEqual(snapshot(reopened), before);
  });

  it('two windows registering and promoting at once leave one consistent state', async () => {
    const a = await open();
    const b = await open();
    const files = Array.from({ length: 6 }, (_, i) => fakePickle(path.join(work, `m${i}.pkl`), `model ${i}`));
    const results = await Promise.all(files.map((f, i) => (i % 2 ? a : b).registerVersion('shared', { sourceFile: f })));
    assert.deepEqual(results.map((r) => r.version).sort(), [1, 2, 3, 4, 5, 6], 'every registration got its own number');
    await Promise.all([a.refresh(), b.refresh()]);
    // Every version's file is the one registered under that number.
    for (const [i, r] of results.entries()) assert.equal(a.getVersion('shared', r.version)?.sha256, sha256(files[i]));

    const promotions = await Promise.all([a.setStage('shared', 1, 'production'), b.setStage('shared', 2, 'production'), a.setStage('shared', 3, 'production')]);
    await Promise.all([a.refresh(), b.refresh()]);
    const production = a.listVersions('shared').filter((v) => v.stage === 'production');
    assert.equal(production.length, 1, 'a single production version');
    // Every promotion but the first archived exactly the one before it.
    assert.deepEqual(promotions.flatMap((p) => p.archived).length, 2);
    const aliases = await Promise.all([a.setAlias('shared', 'champion', 4), b.setAlias('shared', 'champion', 5)]);
    await Promise.all([a.refresh(), b.refresh()]);
    assert.equal(aliases.filter((x) => x.previous !== undefined).length, 1);
    assert.deepEqual(snapshot(a), snapshot(b));
    const holders = a.listVersions('shared').filter((v) => v.aliases.includes('champion'));
    assert.equal(holders.length, 1);
    const again = await rebuilt(a);
    assert.deepEqual(snapshot(again), snapshot(b));
  });

  it('resolves records appended without the lock deterministically: renumbers taken versions, the last promotion wins', async () => {
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    await store.registerVersion('m', { sourceFile: file });
    await store.registerVersion('m', { sourceFile: file });
    // Two writers that both believed version 3 was next, and promotions crossing each other.
    const v3 = journal().find((e) => e.t === 'version.registered' && e.version === 2)!;
    const line = (r: Record<string, unknown>) => `${JSON.stringify({ v: 1, ts: Date.now() / 1000, ...r })}\n`;
    fs.appendFileSync(
      path.join(root, REGISTRY_JOURNAL),
      line({ ...v3, id: 'w1-reg', version: 3, description: 'first writer' }) +
        line({ ...v3, id: 'w2-reg', version: 3, description: 'second writer' }) +
        line({ ...v3, id: 'w2-reg', version: 3, description: 'second writer' }) + // the same record twice
        line({ t: 'version.stage', id: 'p1', model: 'm', version: 1, to: 'production' }) +
        line({ t: 'version.stage', id: 'p2', model: 'm', version: 2, to: 'production' }) +
        line({ t: 'alias.set', id: 'a1', model: 'm', alias: 'champion', version: 3 }) +
        line({ t: 'alias.set', id: 'a2', model: 'm', alias: 'champion', version: 4 }),
    );
    await store.refresh();
    assert.deepEqual(store.listVersions('m').map((v) => [v.version, v.description ?? null]), [[4, 'second writer'], [3, 'first writer'], [2, null], [1, null]]);
    assert.deepEqual(stages(store, 'm'), { 1: 'archived', 2: 'production', 3: 'none', 4: 'none' });
    assert.equal(store.versionByAlias('m', 'champion')?.version, 4);
    assert.deepEqual(store.problems(), []);
    const before = snapshot(store);
    assert.deepEqual(snapshot(await rebuilt(store)), before);
  });

  it('reports and skips unusable and newer registry records, and never leaves the store for hostile names or paths', async () => {
    const outside = path.join(path.dirname(root), 'outside');
    fs.mkdirSync(outside, { recursive: true });
    const store = await open();
    const file = fakePickle(path.join(work, 'm.pkl'));
    await store.registerVersion('m', { sourceFile: file });
    const good = journal()[1];
    const line = (r: Record<string, unknown>) => `${JSON.stringify({ v: 1, ts: Date.now() / 1000, id: Math.random().toString(36), ...r })}\n`;
    fs.appendFileSync(
      path.join(root, REGISTRY_JOURNAL),
      line({ ...good, v: 99, version: 5, id: 'future' }) +
        line({ ...good, model: '../../outside', id: 'x1' }) +
        line({ ...good, version: 7, path: '../outside/m.pkl', id: 'x2' }) +
        line({ ...good, version: 8, path: 'registry/models/../../../outside/m.pkl', id: 'x3' }) +
        line({ ...good, version: 9, path: (good.path as string).replace(/^registry\/models\/[^/]+/, 'registry/models/other-0123456789ab'), id: 'x4' }) +
        line({ t: 'version.stage', model: 'm', version: 1, to: 'live' }) +
        line({ t: 'alias.set', model: 'm', alias: 'v2', version: 1 }) +
        line({ t: 'version.stage', model: 'm', version: 42, to: 'staging' }) +
        line({ t: 'model.future-thing', model: 'm' }) +
        line({ t: 'constructor', model: 'm' }),
    );
    const result = await store.refresh();
    const reasons = result.problems.map((p) => p.reason);
    assert.equal(reasons.length, 8, reasons.join('\n'));
    assert.match(reasons[0], /record version 99 is newer than 1: skipped/);
    assert.match(reasons[1], /invalid model name/);
    assert.match(reasons[2], /path outside registry\/models/);
    assert.match(reasons[3], /path outside registry\/models/);
    assert.match(reasons[4], /outside its model's directory/);
    assert.match(reasons[5], /unknown stage "live"/);
    assert.match(reasons[6], /looks like a version reference/);
    assert.match(reasons[7], /no version 42/);
    assert.ok(result.problems.every((p) => p.file === REGISTRY_JOURNAL && typeof p.line === 'number'));
    assert.deepEqual(store.listVersions('m').map((v) => v.version), [1]);
    assert.deepEqual(fs.readdirSync(outside), []);
    await assert.rejects(store.registerVersion('../../outside', { sourceFile: file }), /cannot contain/);
    await assert.rejects(store.deleteModel('../outside'), /cannot contain/);
    assert.deepEqual(fs.readdirSync(outside), []);
    const before = snapshot(store);
    assert.deepEqual(snapshot(await rebuilt(store)), before);
  });

  it('another window sees registry changes through the change probe, and a shrunk journal forces a rebuild', async () => {
    const a = await open();
    const b = await open();
    assert.equal(a.hasChanges(), false);
    await b.registerVersion('m', { sourceFile: fakePickle(path.join(work, 'm.pkl')) });
    assert.equal(a.hasChanges(), true);
    const result = await a.refresh();
    assert.deepEqual(result.models, ['m']);
    assert.equal(a.listModels().length, 1);
    assert.equal(a.hasChanges(), false);
    fs.writeFileSync(path.join(root, REGISTRY_JOURNAL), '');
    const shrunk = await a.refresh();
    assert.match(shrunk.rebuilt ?? '', /registry\/events\.jsonl is shorter/);
    assert.deepEqual(a.listModels(), []);
  });
});
