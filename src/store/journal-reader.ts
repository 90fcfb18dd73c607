import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync as fsReadSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** A complete journal line: its text, 1-based line number, and byte offsets [start, end) incl. "\n". */
export interface JournalLine {
  text: string;
  line: number;
  start: number;
  end: number;
  /** The bytes were not valid UTF-8; `text` holds U+FFFD where they were. */
  badUtf8: boolean;
}

export interface JournalPosition {
  offset: number;
  line: number;
}

const NEWLINE = 0x0a;
const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Yields the complete lines after `from`, a chunk at a time, so a 500 MB journal never sits in memory.
 * A last line without "\n" may still be being written: it is not yielded, the next pass reads it.
 * Empty lines are skipped but counted.
 */
export async function* readJournalLines(file: string, from: JournalPosition, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<JournalLine[]> {
  const pending = (statSync(file, { throwIfNoEntry: false })?.size ?? 0) - from.offset;
  if (pending <= 0) return;
  // What fits in one chunk (most runs' journals, and every pass after the first) is read in one synchronous
  // call: an open/read/close through the thread pool costs more than the read itself, and a store of 1,000
  // runs waited on those round trips for a third of its ingestion.
  if (pending <= chunkBytes) {
    const lines = splitLines(readSync(file, from.offset, pending), from.offset, from.line).lines;
    if (lines.length > 0) yield lines;
    return;
  }
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let readPos = from.offset;
    let line = from.line;
    let carry: Buffer[] = [];
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, readPos);
      if (bytesRead === 0) return;
      readPos += bytesRead;
      const fresh = chunk.subarray(0, bytesRead);
      // A line longer than a chunk: keep its pieces until its end comes (joining them on every read is quadratic).
      if (carry.length > 0 && fresh.indexOf(NEWLINE) === -1) {
        carry.push(Buffer.from(fresh));
        continue;
      }
      const data = carry.length > 0 ? Buffer.concat([...carry, fresh]) : fresh;
      const split = splitLines(data, readPos - data.length, line);
      line = split.line;
      // Copied: `chunk` is reused by the next read.
      carry = split.rest < data.length ? [Buffer.from(data.subarray(split.rest))] : [];
      if (split.lines.length > 0) yield split.lines;
    }
  } finally {
    await handle.close();
  }
}

/** `length` bytes of `file` from `offset` (fewer if it is shorter now). */
function readSync(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const data = Buffer.allocUnsafe(length);
    let got = 0;
    for (let n = -1; got < length && n !== 0; got += n) n = fsReadSync(fd, data, got, length - got, offset + got);
    return data.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The complete lines of `data` (which starts at byte `base`, after line `line`), and where the incomplete rest starts. */
function splitLines(data: Buffer, base: number, line: number): { lines: JournalLine[]; line: number; rest: number } {
  const lines: JournalLine[] = [];
  let start = 0;
  for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
    line++;
    if (nl > start) lines.push(decodeLine(data, start, nl, base, line));
    start = nl + 1;
  }
  return { lines, line, rest: start };
}

function decodeLine(data: Buffer, start: number, nl: number, base: number, line: number): JournalLine {
  const end = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl;
  const text = data.toString('utf8', start, end);
  // toString() already replaced bad bytes; only confirm (rarely) when a U+FFFD shows up.
  const badUtf8 = text.includes('\uFFFD') && !isUtf8(data.subarray(start, end));
  return { text, line, start: base + start, end: base + nl + 1, badUtf8 };
}
