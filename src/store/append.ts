import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Appends whole JSON lines with one write on an O_APPEND descriptor, so lines of two processes
 * appending at once never interleave. A torn last line left by a crashed writer is closed first,
 * so our record does not get glued to it (seeing another appender's line half-written only costs a
 * blank line, which readers skip).
 */
export function appendRecords(file: string, records: readonly object[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a+');
  try {
    const size = fs.fstatSync(fd).size;
    const lines = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    const data = Buffer.from(size > 0 && !endsWithNewline(fd, size) ? `\n${lines}` : lines, 'utf8');
    // A regular file takes the whole buffer in one write; loop only for the pathological short write.
    for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done);
  } finally {
    fs.closeSync(fd);
  }
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}
