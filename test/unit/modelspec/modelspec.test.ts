import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeSpec, type SpecProblem } from '../../../src/modelspec/analyze';
import { JsonSyntaxError, parseJson, positionAt } from '../../../src/modelspec/json-ast';
import { LAYER_TYPES, LOSSES, OPTIMIZERS, windowOut } from '../../../src/modelspec/layers';

const ROOT = path.resolve(__dirname, '../../../..');
const EXAMPLE = fs.readFileSync(path.join(ROOT, 'python-runner/examples/specs/digits-cnn.mlwb-model.json'), 'utf8');
const SCHEMA = JSON.parse(fs.readFileSync(path.join(ROOT, 'media/schemas/model-spec.schema.json'), 'utf8'));

/** Problem as `line:col-line:col severity message` with the text it underlines. */
function show(text: string, p: SpecProblem): { at: string; text: string; severity: string; message: string } {
  const a = positionAt(text, p.offset);
  const b = positionAt(text, p.offset + p.length);
  return { at: `${a.line + 1}:${a.character + 1}-${b.line + 1}:${b.character + 1}`, text: text.slice(p.offset, p.offset + p.length), severity: p.severity, message: p.message };
}

function replaceLine(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture has ${from}`);
  return text.replace(from, to);
}

describe('model spec: JSON with offsets', () => {
  it('keeps the offset and length of every value', () => {
    const text = '{ "a": [1, {"b": "x"}], "c": true }';
    const root = parseJson(text);
    assert.equal(root.kind, 'object');
    if (root.kind !== 'object') return;
    const arr = root.props[0].value;
    assert.equal(text.slice(arr.offset, arr.offset + arr.length), '[1, {"b": "x"}]');
    assert.equal(text.slice(root.props[1].keyOffset, root.props[1].keyOffset + root.props[1].keyLength), '"c"');
  });

  it('reports syntax errors where they are', () => {
    const text = '{\n  "a": 1,\n  "b": }';
    assert.throws(() => parseJson(text), (e: unknown) => e instanceof JsonSyntaxError && e.offset === text.indexOf('}', 10) && /Expected a value, found "}"/.test(e.message));
    const r = analyzeSpec(text);
    assert.deepEqual(r.problems.map((p) => show(text, p).at), ['3:8-3:9']);
  });
});

describe('model spec: shapes and parameter counts', () => {
  it('infers every output shape of the seed CNN adapted to 8×8 digits, with parameter counts', () => {
    const r = analyzeSpec(EXAMPLE);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.input, [1, 8, 8]);
    assert.deepEqual(
      r.layers.map((l) => `${l.type} ${l.output?.join('×')} ${l.params}`),
      [
        'conv2d 16×8×8 160', 'relu 16×8×8 0', 'maxpool2d 16×4×4 0', 'conv2d 32×4×4 4640', 'relu 32×4×4 0', 'maxpool2d 32×2×2 0',
        'flatten 128 0', 'linear 64 8256', 'relu 64 0', 'dropout 64 0', 'linear 10 650', 'softmax 10 0',
      ],
    );
    assert.equal(r.totalParams, 13706); // what torch counts (python-runner/tests/test_modelspec.py)
    assert.equal(r.layers[0].summary, '1→16, 3×3, same');
    assert.equal(r.layers[7].summary, '128→64');
  });

  it('follows PyTorch for stride, padding and dilation', () => {
    assert.equal(windowOut(28, 3, 1, 1), 28);
    assert.equal(windowOut(28, 5, 2, 0), 12);
    assert.equal(windowOut(28, 3, 1, 0, 2), 24);
    assert.equal(windowOut(7, 2, 2, 0), 3);
    const text = JSON.stringify({
      dataset: { type: 'csv', path: 'x.csv' },
      architecture: { input_channels: 3, input_height: 32, input_width: 32, layers: [
        { type: 'conv2d', out_channels: 8, kernel_size: [5, 3], stride: 2, padding: [2, 1], dilation: 1 },
        { type: 'batchnorm2d' }, { type: 'avgpool2d', kernel_size: 2 }, { type: 'flatten' }, { type: 'linear', out: 4 },
      ] },
    });
    const r = analyzeSpec(text);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.layers.map((l) => l.output), [[8, 16, 16], [8, 16, 16], [8, 8, 8], [512], [4]]);
    assert.deepEqual(r.layers.map((l) => l.params), [8 * 3 * 5 * 3 + 8, 16, 0, 0, 512 * 4 + 4]);
  });
});

describe('model spec: diagnostics with exact ranges', () => {
  it('underlines the linear "in" that does not match the flattened size (the seed\'s 3136 on 8×8 digits)', () => {
    const text = replaceLine(EXAMPLE, '{"type": "linear", "in": 128, "out": 64}', '{"type": "linear", "in": 3136, "out": 64}');
    const problems = analyzeSpec(text).problems.map((p) => show(text, p));
    assert.deepEqual(problems, [
      { at: '18:32-18:36', text: '3136', severity: 'error', message: 'linear (layer 7): "in" is 3136 but its input has 128 features (32×2×2 flattened)' },
    ]);
  });

  it('names an unknown layer type and stops inferring after it (no cascade)', () => {
    const text = replaceLine(EXAMPLE, '{"type": "relu"},\n      {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "padding": 0},\n      {"type": "conv2d"', '{"type": "gelu"},\n      {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "padding": 0},\n      {"type": "conv2d"');
    const r = analyzeSpec(text);
    assert.deepEqual(r.problems.map((p) => show(text, p)), [
      { at: '12:16-12:22', text: '"gelu"', severity: 'error', message: `Unknown layer type "gelu": expected one of ${LAYER_TYPES.join(', ')}` },
    ]);
    assert.equal(r.layers[1].error, 'unknown layer type "gelu"');
    assert.equal(r.layers[2].output, undefined);
  });

  it('asks for a flatten before a linear on an image, and checks conv in_channels', () => {
    const noFlatten = replaceLine(EXAMPLE, '      {"type": "flatten"},\n', '');
    assert.deepEqual(analyzeSpec(noFlatten).problems.map((p) => show(noFlatten, p)), [
      { at: '17:16-17:24', text: '"linear"', severity: 'error', message: 'linear (layer 6): needs a flat input but gets 32×2×2: add {"type": "flatten"} before it (then "in" is 128)' },
    ]);
    const channels = replaceLine(EXAMPLE, '"in_channels": 16', '"in_channels": 3');
    assert.deepEqual(analyzeSpec(channels).problems.map((p) => show(channels, p)), [
      { at: '14:41-14:42', text: '3', severity: 'error', message: 'conv2d (layer 3): in_channels is 3 but its input has 16 channels (16×4×4)' },
    ]);
  });

  it('catches windows that do not fit, "same" with a stride, and a wrong number of classes', () => {
    const text = JSON.stringify({ dataset: 'digits', architecture: { input_channels: 1, input_height: 8, input_width: 8, layers: [
      { type: 'maxpool2d', kernel_size: 4 }, { type: 'maxpool2d', kernel_size: 4 }, { type: 'flatten' }, { type: 'linear', out: 10 },
    ] } });
    assert.deepEqual(analyzeSpec(text).problems.map((p) => show(text, p)).map((p) => [p.text, p.message]), [
      ['4', 'maxpool2d (layer 1): its 4×4 window does not fit the 2×2 input (output would be 0×0)'],
    ]);
    const same = JSON.stringify({ architecture: { input_size: 64, input_channels: 1, input_height: 8, input_width: 8, layers: [
      { type: 'conv2d', out_channels: 4, kernel_size: 3, stride: 2, padding: 'same' }, { type: 'flatten' }, { type: 'linear', out: 12 },
    ] } });
    assert.deepEqual(analyzeSpec(same).problems.map((p) => [show(same, p).text, p.message]), [
      ['"same"', 'conv2d (layer 0): padding "same" needs stride 1 (PyTorch): give the padding as a number'],
    ]);
    const classes = JSON.stringify({ architecture: { input_size: 64, layers: [{ type: 'linear', out: 12 }] } });
    assert.deepEqual(analyzeSpec(classes).problems.map((p) => [show(classes, p).text, p.message]), [
      ['{"type":"linear","out":12}', 'The network outputs 12 values but digits has 10 classes'],
    ]);
  });

  it('checks the input against the dataset and input_size against C×H×W', () => {
    const text = replaceLine(EXAMPLE, '"input_size": 64', '"input_size": 784');
    assert.deepEqual(analyzeSpec(text).problems.map((p) => [show(text, p).text, p.message]), [
      ['784', 'input_size is 784 but input_channels × input_height × input_width is 64 (1×8×8)'],
    ]);
    const mnist = replaceLine(replaceLine(EXAMPLE, '"input_height": 8', '"input_height": 28'), '"input_width": 8', '"input_width": 28').replace('"input_size": 64,', '');
    assert.deepEqual(analyzeSpec(mnist).problems.map((p) => [show(mnist, p).text, p.message])[0], ['28', 'digits inputs are 1×8×8 (64 features), not 1×28×28']);
  });

  it('flags impossible hyperparameters where they are', () => {
    const text = replaceLine(
      replaceLine(replaceLine(EXAMPLE, '"epochs": 8', '"epochs": 0'), '"train_split": 0.8', '"train_split": 1'),
      '"optimizer": {"type": "adam", "lr": 0.005}', '"optimizer": {"type": "adam", "lr": -1, "momentum": 0.9}',
    );
    assert.deepEqual(analyzeSpec(text).problems.map((p) => [show(text, p).text, p.severity, p.message]), [
      ['0', 'error', 'epochs must be a whole number ≥ 1, not 0'],
      ['1', 'error', 'train_split must be between 0 and 1 (exclusive): 1 leaves no held-out samples'],
      ['-1', 'error', 'lr must be greater than 0, not -1'],
      ['0.9', 'warning', 'momentum is an sgd setting: adam ignores it'],
    ]);
    const big = replaceLine(EXAMPLE, '"batch_size": 32', '"batch_size": 5000');
    assert.deepEqual(analyzeSpec(big).problems.map((p) => [show(big, p).text, p.severity, p.message]), [
      ['5000', 'warning', 'batch_size 5000 is larger than the 1437 training samples: one step per epoch'],
    ]);
  });
});

describe('model spec: the JSON schema', () => {
  it('offers the layer types, optimizers and losses the checker knows, with a description on every field', () => {
    assert.deepEqual(SCHEMA.definitions.layer.properties.type.enum, [...LAYER_TYPES]);
    assert.deepEqual(SCHEMA.definitions.optimizerType.enum, [...OPTIMIZERS]);
    assert.deepEqual(SCHEMA.definitions.hyperparams.properties.loss.enum, [...LOSSES]);
    assert.equal(SCHEMA.definitions.layer.properties.type.enumDescriptions.length, LAYER_TYPES.length);
    const missing: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (k !== '$schema' && !(v as { description?: string }).description) missing.push(`${at}.${k}`);
        walk(v, `${at}.${k}`);
      }
      for (const [k, v] of Object.entries((node as { definitions?: Record<string, unknown> }).definitions ?? {})) walk(v, k);
    };
    walk(SCHEMA, '');
    assert.deepEqual(missing, []);
  });

  it('accepts the example and rejects what VS Code should flag (schema-driven checks, with ajv)', async () => {
    let Ajv: (new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] } }) | undefined;
    try {
      Ajv = require('ajv');
    } catch {
      return; // ajv comes with the dev tooling; without it the schema is still checked above
    }
    const validate = new Ajv!({ strict: false, allErrors: true }).compile(SCHEMA);
    assert.equal(validate(JSON.parse(EXAMPLE)), true, JSON.stringify(validate.errors));
    const bad = JSON.parse(EXAMPLE);
    bad.architecture.layers[0].kernel_size = 'three';
    bad.hyperparams.loss = 'hinge';
    bad.hyperparams.optimizr = 'sgd';
    assert.equal(validate(bad), false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    for (const p of ['/architecture/layers/0/kernel_size', '/hyperparams/loss', '/hyperparams']) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  });
});
