import { open, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { ModelFormat } from './records';

/** What the bytes of a model file say, without Python. */
export interface ModelFileInfo {
  format: ModelFormat;
  /** Input feature names, when the format stores them (XGBoost JSON, ONNX models with one input per feature). */
  featureNames?: string[];
  nFeatures?: number;
}

/** JSON models larger than this are recognised by their first bytes but not parsed for feature names. */
const MAX_JSON_PARSE = 256 * 1024 * 1024;
const HEAD = 4096;

/**
 * Format by magic bytes, then extension:
 * - safetensors: 8-byte little-endian header length, then a JSON header;
 * - torch: a zip whose entries include `<name>/data.pkl` (torch.save since 1.6), or a legacy pickle
 *   starting with torch's magic number (or any pickle named .pt/.pth);
 * - joblib: `.joblib` files (a pickle, or zlib/gzip/bz2/xz/lzma/lz4 compressed), and compressed `.pkl`;
 * - pickle: protocol 2+ (0x80 <protocol>), or protocol 0/1 named `.pkl`/`.pickle`;
 * - onnx: `.onnx` starting with protobuf field 1 (ir_version, a varint); inputs read from the graph;
 * - xgboost-json: a JSON object with a "learner" key; xgboost-ubj: the same in UBJSON.
 */
export async function inspectModelFile(file: string): Promise<ModelFileInfo> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const head = await readAt(handle, 0, Math.min(HEAD, size));
    const ext = path.extname(file).toLowerCase();
    return (await sniff(handle, head, size, ext)) ?? { format: 'unknown' };
  } finally {
    await handle.close();
  }
}

async function sniff(handle: FileHandle, head: Buffer, size: number, ext: string): Promise<ModelFileInfo | undefined> {
  if (isSafetensors(head, size)) return { format: 'safetensors' };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    return (await zipHasTorchData(handle, head, size)) ? { format: 'torch' } : undefined;
  }
  const pickle = head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5;
  if (ext === '.joblib') return pickle || isCompressed(head) ? { format: 'joblib' } : undefined;
  if (pickle) {
    if (isLegacyTorch(head) || ext === '.pt' || ext === '.pth') return { format: 'torch' };
    return { format: 'pickle' };
  }
  if ((ext === '.pkl' || ext === '.pickle') && isCompressed(head)) return { format: 'joblib' };
  if ((ext === '.pkl' || ext === '.pickle') && head.length > 0 && (head[0] === 0x28 || head[0] === 0x5d || head[0] === 0x7d)) return { format: 'pickle' };
  if (ext === '.onnx' && head[0] === 0x08) return { format: 'onnx', ...(await onnxInputs(handle, size).catch(() => ({}))) };
  const text = head.toString('latin1').trimStart();
  if (text.startsWith('{') && /^\{\s*"/.test(text)) return xgboostJson(handle, head, size);
  if (head[0] === 0x7b && head.subarray(0, 32).includes('learner')) return { format: 'xgboost-ubj' };
  return undefined;
}

function startsWith(buf: Buffer, bytes: number[]): boolean {
  return buf.length >= bytes.length && bytes.every((b, i) => buf[i] === b);
}

function isSafetensors(head: Buffer, size: number): boolean {
  if (head.length < 10) return false;
  const n = head.readBigUInt64LE(0);
  return n >= 2n && n <= BigInt(size - 8) && head[8] === 0x7b;
}

/** joblib's compressors: zlib, gzip, bz2, xz, lzma (alone), lz4 frame, and joblib's own "ZF" zlib. */
function isCompressed(head: Buffer): boolean {
  return (
    (head[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(head[1])) ||
    startsWith(head, [0x1f, 0x8b]) ||
    startsWith(head, [0x42, 0x5a, 0x68]) ||
    startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) ||
    startsWith(head, [0x5d, 0x00, 0x00]) ||
    startsWith(head, [0x04, 0x22, 0x4d, 0x18]) ||
    startsWith(head, [0x5a, 0x46])
  );
}

/** torch's legacy format pickles the magic number 0x1950a86a20f9469cfc6c first (LONG1, 10 bytes). */
function isLegacyTorch(head: Buffer): boolean {
  return startsWith(head.subarray(2), [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
}

/** torch.save writes `<name>/data.pkl` first; look in the first entry, then in the central directory. */
async function zipHasTorchData(handle: FileHandle, head: Buffer, size: number): Promise<boolean> {
  const isData = (name: string) => name === 'data.pkl' || name.endsWith('/data.pkl');
  if (head.length >= 30) {
    const nameLength = head.readUInt16LE(26);
    if (head.length >= 30 + nameLength && isData(head.toString('utf8', 30, 30 + nameLength))) return true;
  }
  const tailStart = Math.max(0, size - 256 * 1024);
  const tail = await readAt(handle, tailStart, size - tailStart);
  // Central directory entries: signature PK\1\2, name length at 28, name at 46.
  for (let i = tail.indexOf('PK\x01\x02', 0, 'latin1'); i !== -1 && i + 46 <= tail.length; i = tail.indexOf('PK\x01\x02', i + 4, 'latin1')) {
    const nameLength = tail.readUInt16LE(i + 28);
    if (i + 46 + nameLength <= tail.length && isData(tail.toString('utf8', i + 46, i + 46 + nameLength))) return true;
  }
  return false;
}

async function xgboostJson(handle: FileHandle, head: Buffer, size: number): Promise<ModelFileInfo | undefined> {
  if (size > MAX_JSON_PARSE) return /"learner"\s*:/.test(head.toString('utf8')) ? { format: 'xgboost-json' } : undefined;
  let doc: unknown;
  try {
    doc = JSON.parse((await readAt(handle, 0, size)).toString('utf8'));
  } catch {
    return undefined;
  }
  const learner = isObject(doc) ? doc.learner : undefined;
  if (!isObject(learner)) return undefined;
  const names = Array.isArray(learner.feature_names) && learner.feature_names.every((n) => typeof n === 'string') ? (learner.feature_names as string[]) : [];
  const param = isObject(learner.learner_model_param) ? learner.learner_model_param : {};
  const declared = Number(param.num_feature);
  const nFeatures = Number.isInteger(declared) && declared > 0 ? declared : names.length > 0 ? names.length : undefined;
  return { format: 'xgboost-json', ...(names.length > 0 ? { featureNames: names } : {}), ...(nFeatures !== undefined ? { nFeatures } : {}) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, length));
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

// ONNX: a protobuf walk that reads field headers only, so multi-gigabyte weights are skipped, not read.

interface Field {
  no: number;
  wire: number;
  /** Varint value (wire 0) or the payload's range (wire 2). */
  value: number;
  start: number;
  end: number;
}

/** The fields of the message in [start, end) of the file. */
async function* fields(handle: FileHandle, start: number, end: number): AsyncGenerator<Field> {
  let pos = start;
  while (pos < end) {
    const window = await readAt(handle, pos, Math.min(20, end - pos));
    const [tag, tagLen] = varint(window, 0);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    let next: number;
    let value = 0;
    let payload = pos + tagLen;
    if (wire === 0) {
      const [v, n] = varint(window, tagLen);
      value = v;
      next = pos + tagLen + n;
    } else if (wire === 1) {
      next = pos + tagLen + 8;
    } else if (wire === 2) {
      const [len, n] = varint(window, tagLen);
      payload = pos + tagLen + n;
      next = payload + len;
    } else if (wire === 5) {
      next = pos + tagLen + 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
    if (no === 0 || next > end) throw new Error('truncated protobuf');
    yield { no, wire, value, start: payload, end: next };
    pos = next;
  }
}

function varint(buf: Buffer, at: number): [number, number] {
  let result = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    result += (buf[i] & 0x7f) * scale;
    if ((buf[i] & 0x80) === 0) return [result, i - at + 1];
    scale *= 128;
  }
  throw new Error('bad varint');
}

async function stringField(handle: FileHandle, start: number, end: number, no: number): Promise<string | undefined> {
  for await (const f of fields(handle, start, end)) {
    if (f.no === no && f.wire === 2) return (await readAt(handle, f.start, f.end - f.start)).toString('utf8');
  }
  return undefined;
}

async function messageField(handle: FileHandle, start: number, end: number, no: number): Promise<Field | undefined> {
  for await (const f of fields(handle, start, end)) if (f.no === no && f.wire === 2) return f;
  return undefined;
}

/**
 * ModelProto.graph (7) → GraphProto.input (11, ValueInfoProto: name 1, type 2) minus the initializers
 * (5, TensorProto: name 8) older exporters list as inputs. One input of shape [N, k] → k features;
 * several inputs → one feature each, named.
 */
async function onnxInputs(handle: FileHandle, size: number): Promise<Pick<ModelFileInfo, 'featureNames' | 'nFeatures'>> {
  const graph = await messageField(handle, 0, size, 7);
  if (!graph) return {};
  const inputs: { name: string; start: number; end: number }[] = [];
  const initializers = new Set<string>();
  for await (const f of fields(handle, graph.start, graph.end)) {
    if (f.wire !== 2) continue;
    if (f.no === 11) inputs.push({ name: (await stringField(handle, f.start, f.end, 1)) ?? '', start: f.start, end: f.end });
    else if (f.no === 5) {
      const name = await stringField(handle, f.start, f.end, 8);
      if (name !== undefined) initializers.add(name);
    }
  }
  const real = inputs.filter((i) => !initializers.has(i.name));
  if (real.length === 0) return {};
  if (real.length > 1) return { featureNames: real.map((i) => i.name), nFeatures: real.length };
  const dims = await tensorDims(handle, real[0].start, real[0].end);
  return dims?.length === 2 && typeof dims[1] === 'number' && dims[1] > 0 ? { nFeatures: dims[1] } : {};
}

/** ValueInfoProto.type (2) → TypeProto.tensor_type (1) → shape (2) → dim (1: dim_value 1 | dim_param 2). */
async function tensorDims(handle: FileHandle, start: number, end: number): Promise<(number | string)[] | undefined> {
  const type = await messageField(handle, start, end, 2);
  const tensor = type && (await messageField(handle, type.start, type.end, 1));
  const shape = tensor && (await messageField(handle, tensor.start, tensor.end, 2));
  if (!shape) return undefined;
  const dims: (number | string)[] = [];
  for await (const d of fields(handle, shape.start, shape.end)) {
    if (d.no !== 1 || d.wire !== 2) continue;
    let dim: number | string = '?';
    for await (const v of fields(handle, d.start, d.end)) {
      if (v.no === 1 && v.wire === 0) dim = v.value;
      else if (v.no === 2 && v.wire === 2) dim = (await readAt(handle, v.start, v.end - v.start)).toString('utf8');
    }
    dims.push(dim);
  }
  return dims;
}
