import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { modelNameOf, versionRefOf } from '../../../src/registry/model-nodes';
import { aliasMessage, modelDescription, registerCandidates, stageMessage, versionContext, versionDescription, versionTooltip } from '../../../src/registry/model-text';
import { parseFromVersionPanel, parseVersionPanelState } from '../../../src/registry/version-panel/contract';
import { compareSnapshots, versionPanelData } from '../../../src/registry/version-panel/version-data';
import { BadMessage } from '../../../src/platform/webview-contract';
import type { ModelVersionSummary } from '../../../src/store';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { openStore, removeTempStores, RunWriter, tempStore } from '../store/helpers';
import { fakePickle } from '../store/registry-helpers';

const version = (over: Partial<ModelVersionSummary> = {}): ModelVersionSummary => ({
  model: 'iris',
  version: 3,
  stage: 'production',
  aliases: ['champion'],
  format: 'pickle',
  size: 2048,
  path: 'registry/models/iris-abc/3/model.pkl',
  metrics: { 'eval/accuracy': { last: 0.95, count: 3 }, loss: { last: 'NaN', count: 2 } },
  tags: [],
  created: 1_700_000_000,
  sourceRun: 'r1',
  ...over,
});

describe('Models view text and targets', () => {
  it('describes a version by stage, aliases and registration time; none is left out', () => {
    assert.match(versionDescription(version()), /^Production · @champion · \d{4}-\d\d-\d\d \d\d:\d\d$/);
    assert.match(versionDescription(version({ stage: 'none', aliases: [] })), /^\d{4}-/);
    assert.equal(versionContext(version()), 'version.production.aliased');
    assert.equal(versionContext(version({ stage: 'staging', aliases: [] })), 'version.staging');
  });

  it('describes a model by its versions and stages', () => {
    assert.equal(
      modelDescription({ name: 'iris', tags: [], versionCount: 3, latestVersion: 3, productionVersion: 2, stagingVersions: [3], aliases: {} }),
      '3 versions · Production v2 · Staging v3',
    );
  });

  it('puts source run, time, format, size and the metrics snapshot in the tooltip (NaN shown as NaN)', () => {
    const md = versionTooltip(version(), { name: 'bright-fox', status: 'completed' });
    assert.match(md, /Source run: \*\*bright\\-fox\*\* \(completed\) `r1`/);
    assert.match(md, /Registered \d{4}-.* · format pickle · 2\.0 KB/);
    assert.match(md, /\| eval\/accuracy \| 0\.95 \|/);
    assert.match(md, /\| loss \| NaN \|/);
    assert.match(versionTooltip(version()), /`r1` \(deleted\)/);
  });

  it('tells the user what a promotion archived and where an alias moved from', () => {
    assert.equal(stageMessage('iris', 3, 'production', [2]), 'iris v3 is now in Production; v2 was archived (one Production version per model).');
    assert.equal(stageMessage('iris', 3, 'staging', []), 'iris v3 is now in Staging.');
    assert.equal(aliasMessage('iris', 'champion', 3, 1), '@champion moved from v1 to v3 of iris.');
    assert.equal(aliasMessage('iris', 'champion', 3, undefined), '@champion now points to iris v3.');
  });

  it('reads command targets: nodes, { model, version }, "model@v3", model names', () => {
    assert.deepEqual(versionRefOf({ kind: 'version', version: version() }), { model: 'iris', version: 3 });
    assert.deepEqual(versionRefOf({ model: 'iris', version: 2 }), { model: 'iris', version: 2 });
    assert.deepEqual(versionRefOf('my model@v12'), { model: 'my model', version: 12 });
    assert.equal(versionRefOf({ model: 'iris', version: 0 }), undefined);
    assert.equal(versionRefOf({ model: 'iris', version: 1.5 }), undefined);
    assert.equal(modelNameOf({ kind: 'model', model: { name: 'iris' } }), 'iris');
    assert.equal(modelNameOf({ kind: 'version', version: version() }), 'iris');
    assert.equal(modelNameOf([]), undefined);
  });
});

describe('version panel messages from the webview (untrusted input)', () => {
  it('accepts the known messages, a stage only among staging, production and archived', () => {
    for (const type of ['ready', 'refresh', 'openRun', 'openFile', 'revealFile', 'copyPath']) assert.deepEqual(parseFromVersionPanel({ type }), { type });
    assert.deepEqual(parseFromVersionPanel({ type: 'setStage', stage: 'production', extra: 1 }), { type: 'setStage', stage: 'production' });
  });

  it('rejects anything else, and never passes extra fields (no paths, no run ids) through', () => {
    for (const bad of [null, 'ready', [], {}, { type: 42 }, { type: 'openPath', path: '/etc/passwd' }, { type: 'setStage' }, { type: 'setStage', stage: 'none' }, { type: 'setStage', stage: { toString: () => 'production' } }]) {
      assert.throws(() => parseFromVersionPanel(bad), BadMessage, JSON.stringify(bad));
    }
    assert.deepEqual(parseFromVersionPanel({ type: 'openFile', path: '/etc/passwd' }), { type: 'openFile' });
    assert.deepEqual(parseFromVersionPanel({ type: 'openRun', runId: '../x' }), { type: 'openRun' });
  });

  it('restores only a well-formed saved state', () => {
    assert.deepEqual(parseVersionPanelState({ model: 'iris', version: 2, data: {} }), { model: 'iris', version: 2 });
    for (const bad of [undefined, {}, { model: '', version: 1 }, { model: 'iris', version: '1' }, { model: 'iris', version: 0 }, { model: 'x'.repeat(200), version: 1 }]) {
      assert.throws(() => parseVersionPanelState(bad), BadMessage);
    }
  });
});

describe('version panel data from a real store', function () {
  this.timeout(60_000);
  let store: TrackingStore;
  after(async () => {
    await store?.close();
    removeTempStores();
  });

  it('compares snapshots key by key with deltas; non-finite values are null', () => {
    const rows = compareSnapshots({ a: { last: 0.9, count: 1 }, b: { last: 'NaN', count: 1 } }, { a: { last: 0.8, count: 1 }, c: { last: 1, count: 1 } });
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => r.key), ['a', 'b', 'c']);
    assert.ok(Math.abs(rows[0].delta! - 0.1) < 1e-12);
    assert.deepEqual(rows[1], { key: 'b', value: null, production: null, delta: null });
    assert.deepEqual(rows[2], { key: 'c', value: null, production: 1, delta: null });
    assert.deepEqual(compareSnapshots({ a: { last: 1, count: 1 } }), [{ key: 'a', value: 1 }]);
  });

  it('shows lineage, file, stage history with the archival cause, alias moves, and metrics against Production', async () => {
    const root = tempStore();
    const r1 = new RunWriter(root, { id: 'r1', name: 'first' }).params({ lr: 0.1, model: 'rf' }).metric('eval/acc', [0.7, 0.8]).finish();
    const r2 = new RunWriter(root, { id: 'r2', name: 'second' }).params({ lr: 0.05 }).metric('eval/acc', [0.85, 0.9]).finish();
    const f1 = fakePickle(path.join(r1.dir, 'files', 'model.pkl'));
    const f2 = fakePickle(path.join(r2.dir, 'files', 'model.pkl'), 'other');
    store = await openStore(root);
    await store.registerVersion('iris', { sourceFile: f1 });
    await store.registerVersion('iris', { sourceFile: f2 });
    await store.setStage('iris', 1, 'production');
    await store.setAlias('iris', 'champion', 1);
    await store.setAlias('iris', 'champion', 2);

    const before = versionPanelData(store, 'iris', 2)!;
    assert.equal(before.productionVersion, 1);
    assert.deepEqual(before.metrics, [{ key: 'eval/acc', value: 0.9, production: 0.8, delta: before.metrics[0].delta }]);
    assert.ok(Math.abs(before.metrics[0].delta! - 0.1) < 1e-12);
    assert.equal(before.run?.name, 'second');
    assert.deepEqual(before.run?.params, [{ key: 'lr', value: '0.05' }]);
    assert.equal(before.file.name, 'model.pkl');
    assert.equal(before.file.missing, false);
    assert.deepEqual(before.aliasHistory.map((a) => [a.kind, a.alias, a.fromVersion]), [['set', 'champion', 1]]);

    await store.setStage('iris', 2, 'production');
    const v1 = versionPanelData(store, 'iris', 1)!;
    assert.deepEqual(v1.history.map((h) => [h.from, h.to, h.archivedBy]), [[undefined, 'none', undefined], ['none', 'production', undefined], ['production', 'archived', 2]]);
    assert.ok(v1.history.every((h) => typeof h.ts === 'number'));
    const v2 = versionPanelData(store, 'iris', 2)!;
    assert.equal(v2.productionVersion, undefined, 'no comparison with itself');
    assert.deepEqual(v2.metrics, [{ key: 'eval/acc', value: 0.9 }]);

    await store.deleteRun('r2');
    assert.deepEqual(versionPanelData(store, 'iris', 2)!.run, { id: 'r2', exists: false, params: [], metrics: [] });
    await store.deleteVersion('iris', 2);
    assert.equal(versionPanelData(store, 'iris', 2), undefined);
  });
});

describe('Register Model from a run', () => {
  it('offers the model files first (an MLflow log_model, autolog), then the rest', () => {
    const f = (path: string, tags: string[] = []) => ({ id: path, path, tags });
    const files = [f('iris_model/MLmodel', ['mlflow']), f('iris_model/model.pkl', ['model', 'mlflow.sklearn']), f('autolog/LogisticRegression.pkl', ['autolog', 'model']), f('notes.txt')];
    assert.deepEqual(registerCandidates(files).map((c) => [c.file.path, c.model]), [
      ['iris_model/model.pkl', true], ['autolog/LogisticRegression.pkl', true], ['iris_model/MLmodel', false], ['notes.txt', false],
    ]);
  });
});
