import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSafeRunId, seriesFileStem, seriesRunDir, type StoreLayout } from './paths';

/**
 * Metric series cache: per run and key, three files of native-endian float64 (`.step`, `.value`,
 * `.time`), point i at byte i * 8 of each. Writes are positional, at the point count the index records,
 * so two windows ingesting the same journal write the same bytes to the same places. The index's
 * count is the commit point: bytes past it are ignored by readers.
 */
export interface SeriesColumns {
  step: Float64Array;
  value: Float64Array;
  time: Float64Array;
}

const COLUMNS = ['step', 'value', 'time'] as const;
const BYTES = Float64Array.BYTES_PER_ELEMENT;

/** The files hold fewer points than the index says (someone deleted them): the run must be re-ingested. */
export class SeriesGapError extends Error {
  constructor(readonly run: string) {
    super(`series cache of run ${run} is shorter than the index`);
  }
}

interface Pending {
  run: string;
  start: number;
  count: number;
  parts: SeriesColumns[];
}

export class SeriesWriter {
  private readonly pending = new Map<string, Pending>();
  private pendingPoints = 0;

  constructor(private readonly layout: StoreLayout, private readonly flushPoints = 1 << 17) {}

  /** Queues points [start, start + n) of a series; throws SeriesGapError if the files lost points. */
  append(run: string, key: string, start: number, cols: SeriesColumns): void {
    const stem = seriesFileStem(this.layout, run, key);
    let p = this.pending.get(stem);
    if (p && p.start + p.count !== start) {
      this.write(stem, p);
      p = undefined;
    }
    if (!p) {
      assertNoGap(stem, run, start);
      this.pending.set(stem, (p = { run, start, count: 0, parts: [] }));
    }
    p.parts.push(cols);
    p.count += cols.step.length;
    this.pendingPoints += cols.step.length;
    if (this.pendingPoints >= this.flushPoints) this.flush();
  }

  flush(): void {
    for (const [stem, p] of this.pending) this.write(stem, p);
    this.pending.clear();
    this.pendingPoints = 0;
  }

  /** Drops what is queued for a run that is being re-ingested from scratch. */
  discard(run: string): void {
    for (const [stem, p] of this.pending) if (p.run === run) this.pending.delete(stem);
  }

  private write(stem: string, p: Pending): void {
    fs.mkdirSync(path.dirname(stem), { recursive: true });
    for (const col of COLUMNS) {
      const data = concat(p.parts.map((part) => part[col]), p.count);
      const fd = fs.openSync(`${stem}.${col}`, fs.constants.O_WRONLY | fs.constants.O_CREAT);
      try {
        fs.writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0, data.byteLength, p.start * BYTES);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
}

function assertNoGap(stem: string, run: string, start: number): void {
  if (start === 0) return;
  for (const col of COLUMNS) {
    const size = fs.statSync(`${stem}.${col}`, { throwIfNoEntry: false })?.size ?? 0;
    if (size < start * BYTES) throw new SeriesGapError(run);
  }
}

function concat(parts: Float64Array[], count: number): Float64Array {
  if (parts.length === 1) return parts[0];
  const out = new Float64Array(count);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Reads up to `count` points (what the index knows); fewer if the files are short. */
export function readSeries(layout: StoreLayout, run: string, key: string, count: number): SeriesColumns {
  const stem = seriesFileStem(layout, run, key);
  const fds = COLUMNS.map((col) => tryOpen(`${stem}.${col}`));
  try {
    const n = Math.min(count, ...fds.map((fd) => (fd === undefined ? 0 : Math.floor(fs.fstatSync(fd).size / BYTES))));
    const [step, value, time] = fds.map((fd) => readColumn(fd, n));
    return { step, value, time };
  } finally {
    for (const fd of fds) if (fd !== undefined) fs.closeSync(fd);
  }
}

function tryOpen(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function readColumn(fd: number | undefined, n: number): Float64Array {
  const out = new Float64Array(n);
  if (fd === undefined || n === 0) return out;
  const bytes = new Uint8Array(out.buffer);
  for (let at = 0; at < bytes.length; ) {
    const read = fs.readSync(fd, bytes, at, bytes.length - at, at);
    if (read === 0) break;
    at += read;
  }
  return out;
}

function removeRunSeries(layout: StoreLayout, run: string): void {
  fs.rmSync(seriesRunDir(layout, run), { recursive: true, force: true });
}

/** Removes the cache of runs that no longer exist. */
export function pruneSeries(layout: StoreLayout, keep: ReadonlySet<string>): void {
  if (!fs.existsSync(layout.seriesDir)) return;
  const dirs = fs.readdirSync(layout.seriesDir, { withFileTypes: true, encoding: 'utf8' }).filter((d) => d.isDirectory());
  for (const dir of dirs) if (!keep.has(dir.name) && isSafeRunId(dir.name)) removeRunSeries(layout, dir.name);
}
