/**
 * Semantic checks of a *.mlwb-model.json spec: shape inference through the layers, parameter counts,
 * impossible hyperparameters. Each problem carries the exact range it is about (the offending layer or
 * value). What the JSON schema already says (types, unknown keys) is left to VS Code's JSON service.
 */
import { JsonSyntaxError, parseJson, prop, type JsonNode } from './json-ast';
import {
  DATASET_INFO, LAYER_TYPES, LOSSES, OPTIMIZERS, batchnormParams, conv2dParams, formatShape, linearParams, windowOut,
  type LayerType, type Shape,
} from './layers';

export type Severity = 'error' | 'warning' | 'info';

export interface SpecProblem {
  severity: Severity;
  message: string;
  offset: number;
  length: number;
  /** Index of the layer it is about. */
  layer?: number;
}

export interface LayerRow {
  index: number;
  type: string;
  name?: string;
  /** Settings in short: `1→32, 3×3, same`. */
  summary: string;
  input?: Shape;
  output?: Shape;
  params: number;
  error?: string;
  offset: number;
  length: number;
}

export interface SpecAnalysis {
  name?: string;
  dataset?: { type: string; classes?: number };
  input?: Shape;
  layers: LayerRow[];
  totalParams: number;
  problems: SpecProblem[];
  /** The spec as plain JSON when it parses. */
  value?: unknown;
}

type ObjNode = Extract<JsonNode, { kind: 'object' }>;

class Checker {
  readonly problems: SpecProblem[] = [];

  report(severity: Severity, message: string, node: { offset: number; length: number }, layer?: number): void {
    this.problems.push({ severity, message, offset: node.offset, length: node.length, layer });
  }

  /** A non-negative integer or [h, w] pair; wrong types are the schema's business (undefined here). */
  pair(obj: ObjNode, key: string, fallback?: [number, number]): [number, number] | undefined {
    const v = prop(obj, key)?.value;
    if (!v) return fallback;
    if (v.kind === 'number' && Number.isInteger(v.value) && v.value >= 0) return [v.value, v.value];
    if (v.kind === 'array' && v.items.length === 2 && v.items.every((x) => x.kind === 'number' && Number.isInteger(x.value) && x.value >= 0)) {
      return v.items.map((x) => (x as { value: number }).value) as [number, number];
    }
    return undefined;
  }

  int(obj: ObjNode | undefined, key: string): number | undefined {
    const v = prop(obj, key)?.value;
    return v?.kind === 'number' && Number.isInteger(v.value) ? v.value : undefined;
  }

  num(obj: ObjNode | undefined, key: string): number | undefined {
    const v = prop(obj, key)?.value;
    return v?.kind === 'number' ? v.value : undefined;
  }
}

export function analyzeSpec(text: string): SpecAnalysis {
  let root: JsonNode;
  try {
    root = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      return { layers: [], totalParams: 0, problems: [{ severity: 'error', message: err.message, offset: err.offset, length: err.length }] };
    }
    throw err;
  }
  const c = new Checker();
  const result: SpecAnalysis = { layers: [], totalParams: 0, problems: c.problems };
  if (root.kind !== 'object') {
    c.report('error', 'A model spec is a JSON object with an "architecture"', root);
    return result;
  }
  const name = prop(root, 'name')?.value;
  if (name?.kind === 'string') result.name = name.value;
  const dataset = checkDataset(root);
  result.dataset = dataset;
  const arch = prop(root, 'architecture');
  if (!arch || arch.value.kind !== 'object') {
    c.report('error', 'Missing "architecture": the input shape and the layers', arch?.value ?? { offset: root.offset, length: 1 });
    return result;
  }
  const input = inputShape(c, arch.value, dataset);
  result.input = input;
  const layersProp = prop(arch.value, 'layers');
  if (!layersProp || layersProp.value.kind !== 'array') {
    c.report('error', 'Missing "layers": the list of layers', layersProp?.value ?? { offset: arch.keyOffset, length: arch.keyLength });
    return result;
  }
  if (layersProp.value.items.length === 0) c.report('error', 'The network has no layers', layersProp.value);
  let shape = input;
  layersProp.value.items.forEach((node, index) => {
    const row = layer(c, node, index, shape, result.layers[index - 1]);
    result.layers.push(row);
    result.totalParams += row.params;
    shape = row.output;
  });
  checkOutput(c, result, dataset);
  checkHyperparams(c, root, dataset, result.layers);
  return { ...result, value: toPlain(text) };
}

function toPlain(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function checkDataset(root: ObjNode): { type: string; classes?: number } {
  const d = prop(root, 'dataset')?.value;
  const type = d?.kind === 'string' ? d.value : d?.kind === 'object' ? (prop(d, 'type')?.value as { value?: unknown } | undefined)?.value : 'digits';
  if (type === 'digits' || type === 'mnist') return { type, classes: DATASET_INFO[type].classes };
  return { type: typeof type === 'string' ? type : 'unknown' };
}

function inputShape(c: Checker, arch: ObjNode, dataset: { type: string }): Shape | undefined {
  const chw = ['input_channels', 'input_height', 'input_width'].map((k) => c.int(arch, k));
  const given = chw.filter((x) => x !== undefined).length;
  const size = c.int(arch, 'input_size');
  let shape: Shape | undefined;
  if (given === 3) shape = chw as number[];
  else if (given > 0) {
    const first = arch.props.find((p) => p.key.startsWith('input_') && p.key !== 'input_size')!;
    c.report('error', 'input_channels, input_height and input_width go together: give all three (or only input_size for a flat input)', first.value);
    return undefined;
  }
  const sizeNode = prop(arch, 'input_size')?.value;
  if (shape && size !== undefined && size !== shape[0] * shape[1] * shape[2]) {
    c.report('error', `input_size is ${size} but input_channels × input_height × input_width is ${shape[0] * shape[1] * shape[2]} (${formatShape(shape)})`, sizeNode!);
  }
  if (!shape && size !== undefined) shape = [size];
  const known = dataset.type === 'digits' || dataset.type === 'mnist' ? DATASET_INFO[dataset.type] : undefined;
  if (!shape) {
    if (known) return [...known.input];
    c.report('error', 'The architecture needs its input shape: input_size (flat), or input_channels, input_height and input_width', { offset: arch.offset, length: 1 });
    return undefined;
  }
  if (known) {
    const features = known.input.reduce((a, b) => a * b, 1);
    const ok = shape.length === 1 ? shape[0] === features : shape.join('×') === known.input.join('×');
    if (!ok) {
      const at = (given === 3 ? prop(arch, 'input_height') : prop(arch, 'input_size'))!.value;
      c.report('error', `${dataset.type} inputs are ${formatShape(known.input)} (${features} features), not ${formatShape(shape)}`, at);
    }
  }
  return shape;
}

function layer(c: Checker, node: JsonNode, index: number, input: Shape | undefined, prev: LayerRow | undefined): LayerRow {
  const row: LayerRow = { index, type: '?', summary: '', input, params: 0, offset: node.offset, length: node.length };
  if (node.kind !== 'object') {
    c.report('error', `Layer ${index} is not an object`, node, index);
    row.error = 'not an object';
    return row;
  }
  const typeNode = prop(node, 'type')?.value;
  const nameNode = prop(node, 'name')?.value;
  if (nameNode?.kind === 'string') row.name = nameNode.value;
  if (typeNode?.kind !== 'string') {
    c.report('error', `Layer ${index} has no "type" (one of ${LAYER_TYPES.join(', ')})`, typeNode ?? node, index);
    row.error = 'no type';
    return row;
  }
  row.type = typeNode.value;
  if (!(LAYER_TYPES as readonly string[]).includes(typeNode.value)) {
    const message = `Unknown layer type "${typeNode.value}": expected one of ${LAYER_TYPES.join(', ')}`;
    c.report('error', message, typeNode, index);
    row.error = `unknown layer type "${typeNode.value}"`;
    return row;
  }
  const fail = (message: string, at: JsonNode = node): LayerRow => {
    c.report('error', `${row.type} (layer ${index}): ${message}`, at, index);
    row.error = message;
    row.output = undefined;
    return row;
  };
  const valueOf = (key: string) => prop(node, key)?.value;
  const needImage = (): boolean => {
    if (input && input.length !== 3) {
      fail(`needs a channels×height×width input but gets ${formatShape(input)} (flat); put it before the flatten`, typeNode);
      return false;
    }
    return input !== undefined;
  };
  const type = row.type as LayerType;
  switch (type) {
    case 'conv2d': {
      const outC = c.int(node, 'out_channels');
      const k = c.pair(node, 'kernel_size');
      const stride = c.pair(node, 'stride', [1, 1])!;
      const dil = c.pair(node, 'dilation', [1, 1])!;
      const bias = valueOf('bias')?.kind === 'boolean' ? (valueOf('bias') as { value: boolean }).value : true;
      const padNode = valueOf('padding');
      let pad: [number, number] | undefined;
      if (padNode?.kind === 'string') {
        if (padNode.value === 'same') {
          if (stride[0] !== 1 || stride[1] !== 1) return fail('padding "same" needs stride 1 (PyTorch): give the padding as a number', padNode);
          pad = k ? [Math.floor((dil[0] * (k[0] - 1)) / 2), Math.floor((dil[1] * (k[1] - 1)) / 2)] : [0, 0];
        } else pad = [0, 0];
      } else pad = c.pair(node, 'padding', [0, 0]);
      if (outC === undefined) return fail('needs out_channels (the number of filters)');
      if (!k) return fail('needs kernel_size');
      if (k[0] < 1 || k[1] < 1) return fail('kernel_size must be at least 1', valueOf('kernel_size'));
      if (stride[0] < 1 || stride[1] < 1) return fail('stride must be at least 1', valueOf('stride'));
      const inC = c.int(node, 'in_channels');
      row.summary = `${inC ?? input?.[0] ?? '?'}→${outC}, ${k[0]}×${k[1]}${stride[0] !== 1 || stride[1] !== 1 ? `, stride ${stride.join('×')}` : ''}${padNode?.kind === 'string' ? `, ${padNode.value}` : pad && (pad[0] || pad[1]) ? `, pad ${pad.join('×')}` : ''}`;
      if (!needImage() || !input || !pad) return row;
      if (inC !== undefined && inC !== input[0]) {
        return fail(`in_channels is ${inC} but its input has ${input[0]} channel${input[0] === 1 ? '' : 's'} (${formatShape(input)})`, valueOf('in_channels'));
      }
      const h = windowOut(input[1], k[0], stride[0], pad[0], dil[0]);
      const w = windowOut(input[2], k[1], stride[1], pad[1], dil[1]);
      if (h < 1 || w < 1) return fail(`its ${k.join('×')} kernel does not fit the ${input[1]}×${input[2]} input (output would be ${h}×${w})`, valueOf('kernel_size'));
      row.params = conv2dParams(input[0], outC, k, bias);
      row.output = [outC, h, w];
      return row;
    }
    case 'maxpool2d':
    case 'avgpool2d': {
      const k = c.pair(node, 'kernel_size');
      if (!k) return fail('needs kernel_size');
      if (k[0] < 1 || k[1] < 1) return fail('kernel_size must be at least 1', valueOf('kernel_size'));
      const stride = c.pair(node, 'stride', k)!;
      if (stride[0] < 1 || stride[1] < 1) return fail('stride must be at least 1', valueOf('stride'));
      const padNode = valueOf('padding');
      const pad = padNode?.kind === 'string' && padNode.value === 'valid' ? [0, 0] : c.pair(node, 'padding', [0, 0]);
      if (padNode?.kind === 'string' && padNode.value === 'same') return fail('padding "same" is for conv2d only: give a number', padNode);
      row.summary = `${k.join('×')}${stride[0] !== k[0] || stride[1] !== k[1] ? `, stride ${stride.join('×')}` : ''}${pad && (pad[0] || pad[1]) ? `, pad ${pad.join('×')}` : ''}`;
      if (!pad) return row;
      if (pad[0] > k[0] / 2 || pad[1] > k[1] / 2) return fail('padding must be at most half of kernel_size (PyTorch)', padNode);
      if (!needImage() || !input) return row;
      const h = windowOut(input[1], k[0], stride[0], pad[0]);
      const w = windowOut(input[2], k[1], stride[1], pad[1]);
      if (h < 1 || w < 1) return fail(`its ${k.join('×')} window does not fit the ${input[1]}×${input[2]} input (output would be ${h}×${w})`, valueOf('kernel_size'));
      row.output = [input[0], h, w];
      return row;
    }
    case 'batchnorm2d':
    case 'batchnorm1d': {
      const n = c.int(node, 'num_features');
      row.summary = `${n ?? input?.[0] ?? '?'} features`;
      if (!input) return row;
      if (type === 'batchnorm2d' && !needImage()) return row;
      if (type === 'batchnorm1d' && input.length !== 1) return fail(`needs a flat input but gets ${formatShape(input)}: use batchnorm2d, or put it after the flatten`, typeNode);
      if (n !== undefined && n !== input[0]) return fail(`num_features is ${n} but its input has ${input[0]} ${type === 'batchnorm2d' ? 'channels' : 'features'}`, valueOf('num_features'));
      row.params = batchnormParams(input[0]);
      row.output = input;
      return row;
    }
    case 'flatten':
      if (input) row.output = [input.reduce((a, b) => a * b, 1)];
      if (input && input.length === 3) row.summary = `${formatShape(input)} → ${row.output![0]}`;
      return row;
    case 'linear': {
      const inF = c.int(node, 'in');
      const outF = c.int(node, 'out');
      const bias = valueOf('bias')?.kind === 'boolean' ? (valueOf('bias') as { value: boolean }).value : true;
      row.summary = `${inF ?? input?.[0] ?? '?'}→${outF ?? '?'}`;
      if (outF === undefined) return fail('needs "out" (its output features)');
      if (!input) return row;
      if (input.length !== 1) {
        const flat = input.reduce((a, b) => a * b, 1);
        return fail(`needs a flat input but gets ${formatShape(input)}: add {"type": "flatten"} before it (then "in" is ${flat})`, typeNode);
      }
      if (inF !== undefined && inF !== input[0]) {
        const how = prev?.type === 'flatten' && prev.input ? ` (${formatShape(prev.input)} flattened)` : '';
        return fail(`"in" is ${inF} but its input has ${input[0]} features${how}`, valueOf('in'));
      }
      row.params = linearParams(input[0], outF, bias);
      row.output = [outF];
      return row;
    }
    case 'dropout': {
      const p = c.num(node, 'p') ?? 0.5;
      row.summary = `p=${p}`;
      if (p < 0 || p >= 1) return fail(`p is ${p}: it is a probability in [0, 1)`, valueOf('p'));
      row.output = input;
      return row;
    }
    case 'leaky_relu':
      row.summary = `slope ${c.num(node, 'negative_slope') ?? 0.01}`;
      row.output = input;
      return row;
    case 'softmax':
    case 'relu':
    case 'tanh':
    case 'sigmoid':
      row.output = input;
      return row;
  }
}

function checkOutput(c: Checker, result: SpecAnalysis, dataset: { type: string; classes?: number }): void {
  const rows = result.layers;
  if (rows.length === 0 || rows.some((r) => r.error)) return;
  const last = rows[rows.length - 1];
  const out = last.output;
  if (!out) return;
  if (out.length !== 1) {
    c.report('error', `The network ends with a ${formatShape(out)} output: end with flatten and a linear layer with one output per class`, { offset: last.offset, length: last.length }, last.index);
    return;
  }
  if (dataset.classes !== undefined && out[0] !== dataset.classes) {
    // Point at the layer that decides the output size: the last linear.
    const decider = [...rows].reverse().find((r) => r.type === 'linear') ?? last;
    c.report('error', `The network outputs ${out[0]} values but ${dataset.type} has ${dataset.classes} classes`, { offset: decider.offset, length: decider.length }, decider.index);
  }
  rows.forEach((r, i) => {
    if (r.type === 'softmax' && i !== rows.length - 1) {
      c.report('warning', 'softmax before the last layer squashes what the next layers see: it is usually the last layer (or left out)', { offset: r.offset, length: r.length }, r.index);
    }
  });
}

function checkHyperparams(c: Checker, root: ObjNode, dataset: { type: string }, layers: LayerRow[]): void {
  const hpProp = prop(root, 'hyperparams');
  if (!hpProp || hpProp.value.kind !== 'object') return;
  const hp = hpProp.value;
  const at = (key: string) => prop(hp, key)!.value;
  const positiveInt = (key: string) => {
    const n = c.num(hp, key);
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) c.report('error', `${key} must be a whole number ≥ 1, not ${n}`, at(key));
    return n !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
  };
  positiveInt('epochs');
  const batch = positiveInt('batch_size');
  const maxSamples = positiveInt('max_samples');
  const split = c.num(hp, 'train_split');
  if (split !== undefined && (split <= 0 || split >= 1)) {
    c.report('error', `train_split must be between 0 and 1 (exclusive): ${split} leaves ${split <= 0 ? 'nothing to train on' : 'no held-out samples'}`, at('train_split'));
  }
  const info = dataset.type === 'digits' || dataset.type === 'mnist' ? DATASET_INFO[dataset.type] : undefined;
  const samples = info ? Math.min(info.samples, maxSamples ?? Infinity) : maxSamples;
  const s = split !== undefined && split > 0 && split < 1 ? split : 0.8;
  if (samples !== undefined) {
    const train = Math.floor(samples * s);
    if (train < 1 || samples - train < 1) {
      c.report('error', `${samples} samples split ${s} leaves ${train} to train on and ${samples - train} held out: both need at least one`, prop(hp, 'max_samples')?.value ?? prop(hp, 'train_split')?.value ?? hp);
    } else if (batch !== undefined && batch > train) {
      c.report('warning', `batch_size ${batch} is larger than the ${train} training samples: one step per epoch`, at('batch_size'));
    }
  }
  const opt = prop(hp, 'optimizer')?.value;
  const optType = opt?.kind === 'string' ? opt : opt?.kind === 'object' ? prop(opt, 'type')?.value : undefined;
  if (optType?.kind === 'string' && !(OPTIMIZERS as readonly string[]).includes(optType.value)) {
    c.report('error', `Unknown optimizer "${optType.value}": expected one of ${OPTIMIZERS.join(', ')}`, optType);
  }
  if (opt?.kind === 'object') {
    const lr = c.num(opt, 'lr');
    if (lr !== undefined && lr <= 0) c.report('error', `lr must be greater than 0, not ${lr}`, prop(opt, 'lr')!.value);
    else if (lr !== undefined && lr > 10) c.report('warning', `lr ${lr} is very large: training will likely diverge`, prop(opt, 'lr')!.value);
    const momentum = prop(opt, 'momentum')?.value;
    if (momentum && optType?.kind === 'string' && optType.value !== 'sgd') {
      c.report('warning', `momentum is an sgd setting: ${optType.value} ignores it`, momentum);
    }
    if (momentum?.kind === 'number' && (momentum.value < 0 || momentum.value >= 1) && optType?.kind === 'string' && optType.value === 'sgd') {
      c.report('error', `momentum must be in [0, 1), not ${momentum.value}`, momentum);
    }
  }
  const loss = prop(hp, 'loss')?.value;
  if (loss?.kind === 'string' && !(LOSSES as readonly string[]).includes(loss.value)) {
    c.report('error', `Unknown loss "${loss.value}": expected one of ${LOSSES.join(', ')}`, loss);
  }
  const last = layers[layers.length - 1];
  if (loss?.kind === 'string' && loss.value === 'mse' && last && last.type !== 'softmax' && last.type !== 'sigmoid') {
    c.report('info', 'mse compares the outputs with one-hot targets: a final softmax or sigmoid keeps them in [0, 1]', loss);
  }
}
