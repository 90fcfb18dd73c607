import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Model files for registry tests: fake ones with the right magic bytes, and real ones written by Debian's Python. */

export const PYTHON = '/usr/bin/python3';

export function writeFile(file: string, data: Buffer | string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

/** A pickle (protocol 4) as Python writes it: 0x80 0x04, a frame, …, STOP. */
export function fakePickle(file: string, payload = 'x'): string {
  return writeFile(file, Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.from(payload), Buffer.from('.')]));
}

/** Runs Python code with the given argv; undefined when Python or a module it needs is missing. */
export function python(code: string, ...args: string[]): string | undefined {
  if (!fs.existsSync(PYTHON)) return undefined;
  const r = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    if (/ModuleNotFoundError|ImportError/.test(r.stderr)) return undefined;
    throw new Error(`python failed: ${r.stderr}`);
  }
  return r.stdout;
}

// A minimal protobuf writer, for ONNX files without the onnx package.

function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

export function pbVarint(field: number, value: number): Buffer {
  return Buffer.concat([varint(field * 8), varint(value)]);
}

export function pbBytes(field: number, value: Buffer | string): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([varint(field * 8 + 2), varint(data.length), data]);
}

/** ValueInfoProto { name, type { tensor_type { elem_type 1, shape { dim… } } } } */
export function onnxInput(name: string, dims: (number | string)[]): Buffer {
  const shape = Buffer.concat(dims.map((d) => pbBytes(1, typeof d === 'number' ? pbVarint(1, d) : pbBytes(2, d))));
  const tensor = Buffer.concat([pbVarint(1, 1), pbBytes(2, shape)]);
  return Buffer.concat([pbBytes(1, name), pbBytes(2, pbBytes(1, tensor))]);
}

/** ModelProto { ir_version 8, producer_name, graph { node…, initializer { name, raw_data }, input… } } */
export function onnxModel(inputs: Buffer[], initializers: { name: string; bytes: number }[] = []): Buffer {
  const graph = Buffer.concat([
    pbBytes(1, Buffer.concat([pbBytes(1, 'x'), pbBytes(2, 'y'), pbBytes(4, 'Identity')])), // a node
    pbBytes(2, 'graph'),
    ...initializers.map((i) => pbBytes(5, Buffer.concat([pbVarint(1, i.bytes / 4), pbVarint(2, 1), pbBytes(8, i.name), pbBytes(9, Buffer.alloc(i.bytes))]))),
    ...inputs.map((i) => pbBytes(11, i)),
  ]);
  return Buffer.concat([pbVarint(1, 8), pbBytes(2, 'skl2onnx'), pbBytes(7, graph), pbBytes(8, Buffer.concat([pbBytes(1, ''), pbVarint(2, 15)]))]);
}

/** safetensors: u64 LE header length, JSON header, tensor bytes. */
export function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(8)]);
}
