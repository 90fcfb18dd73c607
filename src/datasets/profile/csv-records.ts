/**
 * A streaming CSV record splitter over bytes (RFC 4180 plus what real files do): quoted fields with
 * delimiters, doubled quotes and newlines inside, CRLF or LF, a UTF-8 BOM, blank lines skipped.
 * It works on bytes so every record's byte offset is known (the rows table reads windows by offset).
 */

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export interface CsvRecord {
  fields: string[];
  /** Byte offset of the record's first byte in the file. */
  offset: number;
}

export class CsvSplitter {
  private carry: Buffer = Buffer.alloc(0);
  /** File offset of carry[0]. */
  private base: number;
  private bomChecked: boolean;
  private readonly delim: number;

  constructor(delimiter = ',', startOffset = 0) {
    this.delim = delimiter.charCodeAt(0);
    this.base = startOffset;
    this.bomChecked = startOffset !== 0;
  }

  /** Feeds a chunk; calls `onRecord` for every complete record in it. Returns false if `onRecord` asked to stop. */
  push(chunk: Buffer, onRecord: (fields: string[], offset: number) => boolean | void): boolean {
    let buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    if (!this.bomChecked) {
      if (buf.length < 3) {
        this.carry = buf;
        return true;
      }
      this.bomChecked = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        this.base += 3;
      }
    }
    const consumed = this.scan(buf, false, onRecord);
    if (consumed < 0) return false;
    this.carry = Buffer.from(buf.subarray(consumed));
    this.base += consumed;
    return true;
  }

  /** The last record when the file does not end with a newline. */
  end(onRecord: (fields: string[], offset: number) => boolean | void): void {
    if (this.carry.length) this.scan(this.carry, true, onRecord);
    this.base += this.carry.length;
    this.carry = Buffer.alloc(0);
  }

  /** Splits complete records; returns the bytes consumed (or -1 when stopped). */
  private scan(buf: Buffer, final: boolean, onRecord: (fields: string[], offset: number) => boolean | void): number {
    const n = buf.length;
    const delim = this.delim;
    let recStart = 0;
    let i = 0;
    while (recStart < n) {
      const fields: string[] = [];
      i = recStart;
      let complete = false;
      for (;;) {
        // one field starting at i
        if (i < n && buf[i] === QUOTE) {
          let j = i + 1;
          let parts: string[] | undefined;
          let segStart = j;
          let closed = false;
          while (j < n) {
            const q = buf.indexOf(QUOTE, j);
            if (q < 0) { j = n; break; }
            if (q + 1 < n && buf[q + 1] === QUOTE) {
              (parts ??= []).push(buf.toString('utf8', segStart, q + 1));
              j = q + 2;
              segStart = j;
              continue;
            }
            if (q + 1 >= n && !final) { j = n; break; } // a "" may straddle the chunk
            (parts ??= []).push(buf.toString('utf8', segStart, q));
            j = q + 1;
            closed = true;
            break;
          }
          if (!closed) {
            if (!final) return recStart;
            (parts ??= []).push(buf.toString('utf8', segStart, n)); // unterminated quote at EOF: take the rest
            j = n;
          }
          // anything between the closing quote and the delimiter is kept, as pandas does
          let k = j;
          while (k < n && buf[k] !== delim && buf[k] !== LF && buf[k] !== CR) k++;
          if (k > j) parts!.push(buf.toString('utf8', j, k));
          fields.push(parts!.length === 1 ? parts![0] : parts!.join(''));
          i = k;
        } else {
          let k = i;
          while (k < n) {
            const c = buf[k];
            if (c === delim || c === LF || c === CR) break;
            k++;
          }
          fields.push(k > i ? buf.toString('utf8', i, k) : '');
          i = k;
        }
        if (i >= n) {
          if (!final) return recStart;
          complete = true;
          break;
        }
        const c = buf[i];
        if (c === delim) { i++; if (i >= n && !final) return recStart; continue; }
        // end of line: LF, CR or CRLF
        if (c === CR) {
          if (i + 1 >= n && !final) return recStart;
          i += i + 1 < n && buf[i + 1] === LF ? 2 : 1;
        } else {
          i++;
        }
        complete = true;
        break;
      }
      if (complete) {
        const blank = fields.length === 1 && fields[0] === '' && buf[recStart] !== QUOTE;
        if (!blank && onRecord(fields, this.base + recStart) === false) return -1;
        recStart = i;
      }
      if (final && i >= n) return n;
    }
    return recStart;
  }
}

/** Guesses the delimiter from a file's first line: tab for .tsv, else the most frequent of , ; | \t. */
export function sniffDelimiter(firstBytes: Buffer, fileName: string): string {
  if (/\.tsv$/i.test(fileName)) return '\t';
  const line = firstBytes.toString('utf8', 0, Math.min(firstBytes.length, 64 * 1024)).split(/\r?\n/)[0] ?? '';
  let best = ',';
  let bestCount = 0;
  for (const d of [',', '\t', ';', '|']) {
    let count = 0;
    let inQuote = false;
    for (const ch of line) {
      if (ch === '"') inQuote = !inQuote;
      else if (ch === d && !inQuote) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}
