import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Comparison, Evaluation } from '../../../src/evaluate/contract';
import { decideGate, gateSummary, parseGateRule, type GateEvidence } from '../../../src/evaluate/gate';
import { pinnedState } from '../../../src/evaluate/pinned-data';
import { signatureCompatibility, versionSignature } from '../../../src/evaluate/signature';
import { versionPanelData } from '../../../src/registry/version-panel/version-data';
import { REGISTRY_JOURNAL } from '../../../src/store/registry-names';
import type { GateRecord } from '../../../src/store/records';
import type { TrackingStore } from '../../../src/store/tracking-store';
import { openStore, removeTempStores, RunWriter, tempStore } from '../store/helpers';
import { fakePickle, writeFile } from '../store/registry-helpers';

const evaluation = (metrics: Record<string, number>, main = 'accuracy', higher = true): Evaluation =>
  ({ task: 'binary', model: {}, data: { rows: 100 }, main_metric: main, higher_is_better: higher, metrics, functions: {} }) as Evaluation;
const comparison = (low: number, high: number): Comparison => ({ main_metric: 'accuracy', higher_is_better: true, delta: {}, bootstrap: { metric: 'accuracy', difference: (low + high) / 2, low, high, confidence: 0.95, resamples: 100 } });
const ok = { compatible: true, checked: true, problems: [] };
const smoke = { requests: 50, errors: 0, p50_ms: 1.2, p95_ms: 3.4 };

describe('promotion gate: the rule', () => {
  it('defaults when unset; checks every field, naming it', () => {
    assert.deepEqual(parseGateRule(undefined), { maxDrop: 0, mode: 'warn' });
    assert.deepEqual(parseGateRule({ metric: 'accuracy', maxDrop: 0.01, mode: 'block' }), { metric: 'accuracy', maxDrop: 0.01, mode: 'block' });
    assert.throws(() => parseGateRule({ maxDrop: -1 }), /maxDrop/);
    assert.throws(() => parseGateRule({ mode: 'stop' }), /mode/);
    assert.throws(() => parseGateRule({ metrc: 'x' }), /unknown field "metrc"/);
    assert.throws(() => parseGateRule('accuracy'), /must be an object/);
  });
});

describe('promotion gate: the decision', () => {
  const evidence = (over: Partial<GateEvidence>): GateEvidence => ({
    rule: { maxDrop: 0.01, mode: 'block' }, signature: ok, smoke,
    challenger: evaluation({ accuracy: 0.95 }),
    production: { version: 1, evaluation: evaluation({ accuracy: 0.955 }), comparison: comparison(-0.02, 0.01) },
    ...over,
  });

  it('passes a drop within maxDrop, with the numbers, the interval and the smoke test', () => {
    const g = decideGate(evidence({}));
    assert.equal(g.outcome, 'passed');
    assert.deepEqual([g.metric, g.challenger, g.production, g.productionVersion], ['accuracy', 0.95, 0.955, 1]);
    assert.ok(Math.abs(g.drop! - 0.005) < 1e-12);
    assert.deepEqual(g.interval, [-0.02, 0.01]);
    assert.deepEqual(g.smoke, smoke);
    assert.match(gateSummary(g, 'm v2').join('\n'), /accuracy: 0.95 \(m v2\) vs 0.955 \(Production v1\)/);
  });

  it('blocks a drop beyond maxDrop in "block" mode; the same is "overridden" (to confirm) in "warn" mode', () => {
    const worse = { challenger: evaluation({ accuracy: 0.9 }) };
    const blocked = decideGate(evidence(worse));
    assert.equal(blocked.outcome, 'blocked');
    assert.match(blocked.problems[0], /accuracy is 0.055 worse than Production v1's \(0.955 → 0.9\), more than the 0.01 allowed/);
    assert.equal(decideGate(evidence({ ...worse, rule: { maxDrop: 0.01, mode: 'warn' } })).outcome, 'overridden');
  });

  it('lower-is-better metrics (rmse) drop when they grow', () => {
    const reg = (rmse: number) => evaluation({ rmse }, 'rmse', false);
    const e = evidence({ rule: { maxDrop: 1, mode: 'block' }, challenger: reg(12), production: { version: 3, evaluation: reg(10), comparison: comparison(0, 1) } });
    const g = decideGate(e);
    assert.equal(g.drop, 2);
    assert.equal(g.outcome, 'blocked');
    assert.equal(decideGate({ ...e, challenger: reg(9) }).outcome, 'passed');
  });

  it('a signature mismatch, smoke errors, no evaluation: each a problem', () => {
    const g = decideGate(evidence({ signature: { compatible: false, checked: true, problems: ['x: integer in Production, string in the challenger'] }, smoke: { requests: 10, errors: 2 } }));
    assert.deepEqual(g.problems, ['signature: x: integer in Production, string in the challenger', 'serving smoke test: 2 of 10 requests failed']);
    const none = decideGate({ rule: { maxDrop: 0, mode: 'block' }, signature: ok, evaluationError: 'm has no pinned evaluation data (Set Evaluation Data…)' });
    assert.equal(none.outcome, 'blocked');
    assert.equal(decideGate(evidence({ production: undefined })).outcome, 'passed', 'a first promotion has nothing to drop against');
  });

  it('signature compatibility: missing columns and changed types, widening and extras allowed', () => {
    const sig = (cols: [string, string, boolean?][]) => ({ source: 't', columns: cols.map(([name, type, nullable]) => ({ name, type, nullable: nullable ?? false })) });
    const prod = sig([['a', 'integer'], ['b', 'string'], ['c', 'float', true], ['extra', 'float']]);
    assert.deepEqual(signatureCompatibility(prod, sig([['a', 'float'], ['b', 'category'], ['c', 'float', true]])), { compatible: true, checked: true, problems: [] });
    assert.deepEqual(signatureCompatibility(prod, sig([['a', 'string'], ['c', 'float'], ['d', 'float']])).problems, [
      'a: integer in Production, string in the challenger',
      'c: Production accepts nulls, the challenger does not',
      'd: the challenger needs it, Production\'s inputs do not have it',
    ]);
    assert.equal(signatureCompatibility(undefined, prod).checked, false);
  });
});

describe('promotion gate: what the registry journal keeps', function () {
  this.timeout(30_000);
  let root: string;
  let store: TrackingStore;
  beforeEach(async () => {
    root = tempStore();
    store = await openStore(root);
  });
  afterEach(async () => store.close());
  after(removeTempStores);
  const journal = () => fs.readFileSync(path.join(root, REGISTRY_JOURNAL), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const gate = (outcome: GateRecord['outcome']): GateRecord => ({ outcome, rule: { maxDrop: 0.01, mode: 'block' }, problems: outcome === 'passed' ? [] : ['accuracy dropped'], metric: 'accuracy', challenger: 0.9, production: 0.95, productionVersion: 1 });

  it('pins evaluation data by path + sha256 (audited), flags a changed file, unpins; survives a rebuild', async () => {
    const work = path.dirname(root);
    await store.registerVersion('m', { sourceFile: fakePickle(path.join(work, 'm.pkl')) });
    const csv = writeFile(path.join(work, 'data', 'test.csv'), 'a,y\n1,0\n');
    await store.setEvaluationData('m', { file: csv, target: 'y' });
    const pinned = store.listModels()[0].evaluationData!;
    assert.equal(pinned.path, 'data/test.csv', 'relative to the workspace (the store’s parent)');
    assert.equal(pinned.file, csv);
    assert.equal(pinned.target, 'y');
    assert.equal(pinnedState(pinned), 'ok');
    fs.appendFileSync(csv, '2,1\n');
    assert.equal(pinnedState(pinned), 'changed');
    fs.rmSync(csv);
    assert.equal(pinnedState(pinned), 'missing');
    await store.setEvaluationData('m', null);
    assert.equal(store.listModels()[0].evaluationData, undefined);
    assert.deepEqual(store.modelHistory('m').filter((h) => h.kind === 'evaluation_data').map((h) => h.detail?.data?.path ?? null), ['data/test.csv', null]);
    await assert.rejects(store.setEvaluationData('m', { file: path.join(work, 'nope.csv') }), /no data file/);
  });

  it('records the gate with the promotion, a blocked promotion without a stage change, and the signature', async () => {
    const work = path.dirname(root);
    await store.registerVersion('m', { sourceFile: fakePickle(path.join(work, 'a.pkl'), 'a') });
    await store.registerVersion('m', { sourceFile: fakePickle(path.join(work, 'b.pkl'), 'b') });
    await store.setStage('m', 1, 'production');
    await store.recordBlockedPromotion('m', 2, 'production', gate('blocked'));
    assert.equal(store.getVersion('m', 2)!.stage, 'none', 'blocked: the stage did not change');
    await store.setStage('m', 2, 'production', { gate: gate('overridden') });
    const history = store.getVersion('m', 2)!.stageHistory;
    assert.deepEqual(history.map((h) => [h.from ?? null, h.to, h.blocked ?? false, h.gate?.outcome ?? null]), [
      [null, 'none', false, null], ['none', 'production', true, 'blocked'], ['none', 'production', false, 'overridden'],
    ]);
    assert.equal(history[2].gate?.production, 0.95);
    assert.equal(journal().find((e) => e.t === 'version.stage' && e.version === 2 && (e.gate as GateRecord)?.outcome === 'overridden')?.to, 'production');
    await assert.rejects(store.setStage('m', 1, 'production', { gate: gate('blocked') }), /blocked promotion does not change/);
    await assert.rejects(store.recordBlockedPromotion('m', 1, 'production', gate('passed')), /takes a blocked gate/);

    await store.setThreshold('m', 2, 0.35);
    assert.equal(store.getVersion('m', 2)!.threshold, 0.35);
    await assert.rejects(store.setThreshold('m', 2, 1.5), /between 0 and 1/);
    await store.setSignature('m', 2, [{ name: 'a', type: 'integer', nullable: false }], 'evaluation data');
    assert.deepEqual(store.getVersion('m', 2)!.signature?.columns, [{ name: 'a', type: 'integer', nullable: false }]);

    // The index is a cache: the same from the journal alone.
    const before = JSON.stringify([store.getVersion('m', 2)!.stageHistory, store.getVersion('m', 2)!.signature?.columns, store.getVersion('m', 2)!.threshold]);
    await store.close();
    fs.rmSync(path.join(root, 'index.sqlite'));
    store = await openStore(root);
    assert.equal(JSON.stringify([store.getVersion('m', 2)!.stageHistory, store.getVersion('m', 2)!.signature?.columns, store.getVersion('m', 2)!.threshold]), before);
  });

  it('a signature from the source run’s autolog/signature.json until one is recorded; the version panel carries it and the pinned data’s state', async () => {
    const run = new RunWriter(root, { id: 'r-sig', experiment: 'e' }).finish();
    const model = fakePickle(path.join(run.dir, 'files', 'model.pkl'));
    writeFile(path.join(run.dir, 'files', 'autolog', 'signature.json'), JSON.stringify({ format: 1, source: 'training data', columns: [{ name: 'x', type: 'float', nullable: false }] }));
    await store.registerVersion('m', { sourceFile: model });
    const v = store.getVersion('m', 1)!;
    assert.equal(v.sourceRun, 'r-sig');
    assert.deepEqual(versionSignature(store, v), { columns: [{ name: 'x', type: 'float', nullable: false }], source: "the source run's training data (autolog)" });
    await store.setSignature('m', 1, [{ name: 'x', type: 'integer' }], 'evaluation data d.csv');
    assert.deepEqual(versionSignature(store, store.getVersion('m', 1)!), { columns: [{ name: 'x', type: 'integer' }], source: 'evaluation data d.csv' }, 'the recorded one wins');
    const csv = writeFile(path.join(path.dirname(root), 'd.csv'), 'x,y\n1,2\n');
    await store.setEvaluationData('m', { file: csv, target: 'y' });
    const panel = versionPanelData(store, 'm', 1)!;
    assert.equal(panel.signature?.source, 'evaluation data d.csv');
    assert.deepEqual(panel.evaluationData, { path: 'd.csv', sha256: store.listModels()[0].evaluationData!.sha256, target: 'y', state: 'ok' });
  });

  it('skips and reports malformed gate, evaluation-data and signature records', async () => {
    const work = path.dirname(root);
    await store.registerVersion('m', { sourceFile: fakePickle(path.join(work, 'a.pkl')) });
    const line = (r: Record<string, unknown>) => `${JSON.stringify({ v: 1, ts: Date.now() / 1000, id: Math.random().toString(36), ...r })}\n`;
    fs.appendFileSync(path.join(root, REGISTRY_JOURNAL),
      line({ t: 'version.stage', model: 'm', version: 1, to: 'production', gate: { outcome: 'maybe', rule: { maxDrop: 0, mode: 'warn' } } }) +
      line({ t: 'version.gate', model: 'm', version: 1, to: 'production', gate: { outcome: 'blocked' } }) +
      line({ t: 'model.evaluation_data', model: 'm', data: { path: 'x.csv', sha256: 'abc' } }) +
      line({ t: 'version.signature', model: 'm', version: 1, columns: [{ type: 'float' }], source: 's' }));
    const reasons = (await store.refresh()).problems.map((p) => p.reason);
    assert.equal(reasons.length, 4, reasons.join('\n'));
    assert.match(reasons[0], /unknown outcome "maybe"/);
    assert.match(reasons[1], /without its rule/);
    assert.match(reasons[2], /without a sha256/);
    assert.match(reasons[3], /name and a type/);
    assert.equal(store.getVersion('m', 1)!.stage, 'none');
  });
});
