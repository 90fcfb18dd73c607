/**
 * Profiles a CSV/TSV file in one streaming pass, in bounded memory: exact counts, missing, min/max,
 * mean/std (Welford), distinct values (exact up to a cap, then estimated), histograms, top values,
 * warnings; and a sparse index of byte offsets (every `indexEvery` rows) to read any row window later.
 * No `vscode` import: runs in plain Node (unit tests, the bench).
 */
import { createReadStream, promises as fs } from 'node:fs';
import { ColumnAccumulator, type ColumnProfile } from './column';
import type { DatasetProfile, DatasetWarning } from './types';
import { CsvSplitter, sniffDelimiter } from './csv-records';

export type { DatasetProfile, DatasetWarning };

/** Byte offsets of every `every`-th data row (offsets[k] = start of row k * every). */
export interface RowIndex {
  file: string;
  delimiter: string;
  every: number;
  offsets: number[];
  rows: number;
  width: number;
}

export interface ProfileOptions {
  /** Called with (bytes read, total bytes) at most every ~100 ms. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  indexEvery?: number;
  headRows?: number;
  /** Shown instead of the file's path (e.g. the Parquet file a temporary CSV came from). */
  displayName?: string;
}

export class ProfileCancelled extends Error {
  constructor() {
    super('profiling was cancelled');
  }
}

const MANY_MISSING = 0.3;

export async function profileCsv(file: string, options: ProfileOptions = {}): Promise<{ profile: DatasetProfile; index: RowIndex }> {
  const started = performance.now();
  const { size } = await fs.stat(file);
  const delimiter = sniffDelimiter(await readStart(file), file);
  const every = options.indexEvery ?? 1000;
  const headRows = options.headRows ?? 100;
  const splitter = new CsvSplitter(delimiter);
  let header: string[] | undefined;
  let columns: ColumnAccumulator[] = [];
  let rows = 0;
  let short = 0;
  let long = 0;
  const offsets: number[] = [];
  const head: string[][] = [];

  const onRecord = (fields: string[], offset: number) => {
    if (!header) {
      header = fields;
      columns = fields.map((name, i) => new ColumnAccumulator(name.trim() || `column ${i + 1}`, i));
      return;
    }
    if (rows % every === 0) offsets.push(offset);
    if (rows < headRows) head.push(fields);
    rows++;
    const width = columns.length;
    if (fields.length < width) short++;
    else if (fields.length > width) long++;
    for (let c = 0; c < width; c++) columns[c].add(c < fields.length ? fields[c] : '');
  };

  let done = 0;
  let lastReport = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new ProfileCancelled();
      splitter.push(chunk, onRecord);
      done += chunk.length;
      const now = performance.now();
      if (options.onProgress && now - lastReport > 100) {
        lastReport = now;
        options.onProgress(done, size);
      }
    }
  } finally {
    stream.destroy();
  }
  splitter.end(onRecord);
  options.onProgress?.(size, size);

  const profiles = columns.map((c) => c.result());
  const profile: DatasetProfile = {
    file: options.displayName ?? file,
    bytes: size,
    delimiter,
    rows,
    columns: profiles,
    warnings: warnings(profiles, rows, short, long, header ?? []),
    head,
    durationMs: performance.now() - started,
  };
  return { profile, index: { file, delimiter, every, offsets, rows, width: columns.length } };
}

function warnings(columns: ColumnProfile[], rows: number, short: number, long: number, header: string[]): DatasetWarning[] {
  const out: DatasetWarning[] = [];
  if (rows === 0) out.push({ kind: 'noRows', message: header.length ? 'The file has a header but no rows.' : 'The file is empty.' });
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const name of header) (seen.has(name) ? dups : seen).add(name);
  if (dups.size) out.push({ kind: 'duplicateNames', message: `Duplicate column names: ${[...dups].join(', ')}.` });
  if (short) out.push({ kind: 'raggedRows', message: `${short.toLocaleString('en-US')} row(s) have fewer fields than the header (read as missing).` });
  if (long) out.push({ kind: 'raggedRows', message: `${long.toLocaleString('en-US')} row(s) have more fields than the header (the extra fields are ignored).` });
  for (const c of columns) {
    if (rows === 0) break;
    if (c.type === 'empty') {
      out.push({ kind: 'empty', column: c.name, message: `"${c.name}" is empty in every row.` });
      continue;
    }
    if (c.distinct === 1) out.push({ kind: 'constant', column: c.name, message: `"${c.name}" has a single value (${c.top[0]?.value ?? ''})${c.missing ? ' apart from missing cells' : ''}: it carries no information.` });
    const missing = c.missing / rows;
    if (missing >= MANY_MISSING) out.push({ kind: 'manyMissing', column: c.name, message: `"${c.name}" is missing in ${(missing * 100).toFixed(1)}% of the rows.` });
    if (c.type === 'mixed') {
      const kinds = Object.entries(c.kinds).map(([k, n]) => `${n!.toLocaleString('en-US')} ${k}`).join(', ');
      out.push({ kind: 'mixedTypes', column: c.name, message: `"${c.name}" mixes types: ${kinds}.` });
    }
    const unique = c.distinctExact ? c.distinct === c.count : c.distinct >= 0.97 * c.count; // HyperLogLog is within ~1%
    if (c.type === 'string' && unique && c.count > 20) {
      out.push({ kind: 'identifier', column: c.name, message: `"${c.name}" has a different value in ${c.distinctExact ? '' : 'nearly '}every row: an identifier, not a feature?` });
    }
  }
  return out;
}

async function readStart(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Reads data rows [start, start + count) using the sparse index: seeks to the nearest indexed row, then parses forward. */
export async function readRows(index: RowIndex, start: number, count: number): Promise<string[][]> {
  start = Math.max(0, Math.min(start, index.rows));
  count = Math.max(0, Math.min(count, index.rows - start));
  if (count === 0) return [];
  const k = Math.floor(start / index.every);
  let row = k * index.every;
  const out: string[][] = [];
  const splitter = new CsvSplitter(index.delimiter, index.offsets[k]);
  const stream = createReadStream(index.file, { start: index.offsets[k], highWaterMark: 256 * 1024 });
  const onRecord = (fields: string[]) => {
    if (row >= start) out.push(fields);
    row++;
    return out.length < count;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (!splitter.push(chunk, onRecord)) break;
    }
    if (out.length < count) splitter.end(onRecord);
  } finally {
    stream.destroy();
  }
  return out;
}
