import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseExplainPanelState, parseFromExplainPanel } from '../../../src/explain/contract';
import { ExplainFileError, parseExplainFile, readExplainText, type ExplainFile } from '../../../src/explain/explain-file';
import { csvHeader, isExplainableFile, isPickleLike, likelyTarget } from '../../../src/explain/explain-target';
import { beeswarmOffsets, colorPositions, colourByCandidate, correlation, MAX_ROWS, panelData, sampleIndices, waterfall } from '../../../src/explain/shaping';

const REPO = path.resolve(__dirname, '../../../..');
const PY = '/usr/bin/python3';

/** A real explain.json: the runner's TreeSHAP on a real forest (captured once per run of this file). */
function realExplanation(): { text: string; raw: Record<string, unknown> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-explain-data-'));
  execFileSync(PY, [path.join(REPO, 'test/vscode/fixtures/explain_models.py'), dir]);
  execFileSync(PY, ['-m', 'mlwb', 'explain', '--model', path.join(dir, 'forest.pkl'), '--data', path.join(dir, 'iris.csv'), '--target', 'species', '--out', dir], {
    env: { ...process.env, PYTHONPATH: path.join(REPO, 'python-runner') },
    stdio: 'ignore',
  });
  const text = fs.readFileSync(path.join(dir, 'explain.json'), 'utf8');
  return { text, raw: JSON.parse(text) };
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('explain.json: validation', function () {
  this.timeout(180_000); // a real Python explain run in the hook: minutes on a loaded 2-core machine
  let real: { text: string; raw: Record<string, unknown> };
  before(() => (real = realExplanation()));

  it("reads the runner's real file", () => {
    const f = readExplainText(real.text);
    assert.equal(f.metadata.featureNames.length, 4);
    assert.equal(f.shap.outputs.length, 3);
    assert.equal(f.shap.outputs[0].values.length, f.metadata.rows);
    assert.equal(f.importance[0].feature, f.metadata.featureNames[f.importance[0].index]);
    assert.equal(f.partialDependence.length > 0, true);
    assert.ok(f.permutationImportance && f.permutationImportance.mean.length === 4);
  });

  const broken: [string, (raw: any) => void, RegExp][] = [
    ['another schema', (r) => (r.schema = 'mlwb.explain/9'), /"schema" is "mlwb.explain\/9", expected "mlwb.explain\/1"/],
    ['no metadata', (r) => delete r.metadata, /metadata must be an object/],
    ['feature names not strings', (r) => (r.metadata.featureNames[1] = 3), /metadata.featureNames\[1\] must be a string/],
    ['a SHAP row too short', (r) => r.shap.outputs[1].values[7].pop(), /shap.outputs\[1\].values\[7\] must have 4 entries/],
    ['predictions missing', (r) => delete r.shap.outputs[0].prediction, /shap.outputs\[0\].prediction must be a list/],
    ['a SHAP value that is text', (r) => (r.shap.outputs[0].values[0][0] = 'big'), /shap.outputs\[0\].values\[0\]\[0\] must be a number/],
    ['importance index out of range', (r) => (r.importance[0].index = 99), /importance\[0\].index must be a feature index below 4/],
    ['a PDP average of the wrong length', (r) => r.partialDependence[0].outputs[0].average.pop(), /partialDependence\[0\].outputs\[0\].average must have/],
    ['no outputs', (r) => (r.shap.outputs = []), /shap.outputs is empty/],
  ];
  for (const [what, breakIt, message] of broken) {
    it(`names the field when ${what}`, () => {
      const raw = clone(real.raw);
      breakIt(raw);
      assert.throws(() => parseExplainFile(raw), (err: Error) => err instanceof ExplainFileError && message.test(err.message));
    });
  }

  it('not JSON, or not an object: a clear error', () => {
    assert.throws(() => readExplainText('{"schema": '), /not valid JSON/);
    assert.throws(() => parseExplainFile([1, 2]), /the file must be an object/);
  });

  it('reads non-finite numbers written as strings', () => {
    const raw = clone(real.raw) as any;
    raw.shap.outputs[0].values[0][0] = 'NaN';
    raw.metadata.localAccuracyMaxError = 'Infinity';
    raw.shap.featureValues[0][1] = '-Infinity';
    const f = parseExplainFile(raw);
    assert.ok(Number.isNaN(f.shap.outputs[0].values[0][0]));
    assert.equal(f.metadata.localAccuracyMaxError, Infinity);
    assert.equal(f.shap.featureValues[0][1], -Infinity);
  });
});

describe('explain panel data shaping', function () {
  this.timeout(180_000); // a real Python explain run in the hook: minutes on a loaded 2-core machine
  let file: ExplainFile;
  before(() => (file = readExplainText(realExplanation().text)));

  it('sends one output, features most important first, rows and SHAP aligned', () => {
    const d = panelData(file, '/x/explain.json', 'forest', 2);
    assert.equal(d.output, 2);
    assert.equal(d.baseValue, file.shap.outputs[2].baseValue);
    assert.deepEqual(d.features.map((f) => f.name), file.importance.map((e) => e.feature));
    const j = file.importance[0].index;
    assert.equal(d.shap[0][5], file.shap.outputs[2].values[5][j]);
    assert.equal(d.features[0].values[5], file.shap.featureValues[5][j]);
    assert.deepEqual(d.restShap.every((v) => v === 0), true, 'every feature is sent');
    assert.equal(d.pdp[0].average, file.partialDependence[0].outputs[2].average);
    assert.equal(d.importance[0].permutationMean, file.importance[0].permutationMean);
    assert.equal(panelData(file, '/x', 't', 99).output, 2, 'an output out of range is clamped');
  });

  it('caps rows at MAX_ROWS, evenly spaced, and sums the SHAP of features not sent', () => {
    const big = clone(file);
    const rows = 5000;
    const pick = (i: number) => i % file.shap.featureValues.length;
    big.shap.featureValues = Array.from({ length: rows }, (_, i) => file.shap.featureValues[pick(i)]);
    for (const o of big.shap.outputs) {
      const values = o.values;
      o.values = Array.from({ length: rows }, (_, i) => values[pick(i)]);
      o.prediction = Array.from({ length: rows }, (_, i) => o.prediction[pick(i)]);
    }
    big.metadata.rowIndices = undefined;
    const d = panelData(big, '/x', 't', 0);
    assert.equal(d.rows.sent, MAX_ROWS);
    assert.equal(d.rows.explained, rows);
    assert.equal(d.shap[0].length, MAX_ROWS);
    assert.deepEqual(sampleIndices(10, 4), [0, 2, 5, 7]);
    assert.deepEqual(sampleIndices(3, 4), [0, 1, 2]);
  });

  it('categorical feature values become sorted category codes', () => {
    const cat = clone(file);
    cat.shap.featureValues = cat.shap.featureValues.map((row, i) => [i % 2 ? 'red' : 'blue', ...row.slice(1)]);
    const d = panelData(cat, '/x', 't', 0);
    const col = d.features.find((f) => f.name === file.metadata.featureNames[0])!;
    assert.equal(col.numeric, false);
    assert.deepEqual(col.categories, ['blue', 'red']);
    assert.deepEqual(col.values.slice(0, 3), [0, 1, 0]);
  });

  it('waterfall: base → top-k by |SHAP| → "other" → prediction, each step starting where the last ended', () => {
    const steps = waterfall(0.3, [{ label: 'a', value: 0.05 }, { label: 'b', value: -0.2 }, { label: 'c', value: 0.1 }, { label: 'd', value: 0.01 }], 2, 0.02);
    assert.deepEqual(steps.map((s) => s.label), ['base value', 'b', 'c', '2 other features', 'prediction']);
    assert.equal(steps[1].start, 0.3);
    for (let i = 2; i < steps.length - 1; i++) assert.equal(steps[i].start, steps[i - 1].end);
    assert.ok(Math.abs(steps[3].value - 0.08) < 1e-12, 'a + d + the features not listed');
    assert.ok(Math.abs(steps[4].value - (0.3 + 0.05 - 0.2 + 0.1 + 0.01 + 0.02)) < 1e-12);
    assert.deepEqual(waterfall(1, [{ label: 'a', value: 2 }], 5).map((s) => s.label), ['base value', 'a', 'prediction'], 'no "other" when nothing is left');
  });

  it("waterfall of a real row ends at the model's prediction (local accuracy)", () => {
    const d = panelData(file, '/x', 't', 1);
    const row = 17;
    const steps = waterfall(d.baseValue, d.features.map((f, j) => ({ label: f.name, value: d.shap[j][row] })), 2, d.restShap[row]);
    assert.ok(Math.abs(steps[steps.length - 1].value - d.prediction[row]) < 1e-9);
  });

  it('beeswarm offsets stay within bounds and spread equal values apart', () => {
    const xs = [0, 0, 0, 0, 1, NaN];
    const off = beeswarmOffsets(xs, 10, 0.4);
    assert.equal(off.length, xs.length);
    assert.ok(off.every((o) => Math.abs(o) <= 0.4));
    assert.equal(new Set(off.slice(0, 4)).size, 4, 'four points at one x get four heights');
    assert.equal(off[5], 0);
  });

  it('colour positions clip at the 5th/95th percentiles; missing values are NaN', () => {
    const values = [...Array.from({ length: 99 }, (_, i) => i), 10_000, null];
    const pos = colorPositions(values);
    assert.equal(pos[0], 0);
    assert.equal(pos[99], 1, 'the outlier is clipped, not stretching the scale');
    assert.ok(pos[50] > 0.4 && pos[50] < 0.6);
    assert.ok(Number.isNaN(pos[100]));
    assert.deepEqual(colorPositions([5, 5]), [0.5, 0.5]);
  });

  it('colour-by candidate is another feature; correlation is Pearson', () => {
    assert.ok(Math.abs(correlation([1, 2, 3, 4], [2, 4, 6, 8]) - 1) < 1e-12);
    assert.equal(correlation([1, 1, 1], [1, 2, 3]), 0);
    const d = panelData(file, '/x', 't', 0);
    const k = colourByCandidate(d, 0);
    assert.ok(k !== undefined && k !== 0 && k < d.features.length);
  });
});

describe('explain panel contract', () => {
  it('accepts its messages and rejects anything else', () => {
    assert.deepEqual(parseFromExplainPanel({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromExplainPanel({ type: 'selectOutput', output: 2 }), { type: 'selectOutput', output: 2 });
    assert.deepEqual(parseFromExplainPanel({ type: 'exportPng', chart: 'pdp-1', dataUrl: 'data:image/png;base64,AAAA' }), { type: 'exportPng', chart: 'pdp-1', dataUrl: 'data:image/png;base64,AAAA' });
    assert.throws(() => parseFromExplainPanel({ type: 'selectOutput', output: -1 }));
    assert.throws(() => parseFromExplainPanel({ type: 'exportPng', chart: '../x', dataUrl: 'data:image/png;base64,AAAA' }));
    assert.throws(() => parseFromExplainPanel({ type: 'openFile', path: '/etc/passwd' }));
  });

  it('saved state: a .json path and an output index', () => {
    assert.deepEqual(parseExplainPanelState({ path: '/w/explain.json', output: 1 }), { path: '/w/explain.json', output: 1 });
    assert.deepEqual(parseExplainPanelState({ path: '/w/explain.json', output: 'x' }), { path: '/w/explain.json', output: 0 });
    assert.throws(() => parseExplainPanelState({ path: '/w/model.pkl' }));
    assert.throws(() => parseExplainPanelState(undefined));
  });
});

describe('explain targets: files and CSV headers', () => {
  it('reads a CSV header (quotes, BOM, CRLF) and guesses the label column', () => {
    assert.deepEqual(csvHeader('\uFEFFa,"b, c","say ""hi""",species\r\n1,2,3,x'), ['a', 'b, c', 'say "hi"', 'species']);
    assert.equal(likelyTarget(['x1', 'label', 'x2']), 'label');
    assert.equal(likelyTarget(['x1', 'x2', 'price']), 'price', 'else the last column');
    assert.equal(likelyTarget([]), undefined);
  });

  it('knows which files are model files and which load as pickles', () => {
    assert.ok(isExplainableFile('model/model.pkl') && isExplainableFile('booster.json'));
    assert.ok(!isExplainableFile('explain/explain.json') && !isExplainableFile('metrics.csv'));
    assert.ok(isPickleLike('/m/model.joblib') && isPickleLike('/m/model.bin'));
    assert.ok(!isPickleLike('/m/booster.json') && !isPickleLike('/m/booster.UBJ'));
  });
});
