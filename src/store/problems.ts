import type { Database } from 'sql.js';
import { all, run } from './sql';

/** Something in the journals the index could not take in; never fatal, shown to the user. */
export interface IngestProblem {
  file: string;                   // store-relative, e.g. "runs/<id>/events.jsonl"
  line?: number;
  offset?: number;                // byte offset of the line
  reason: string;
}

/** A record the ingester understands but whose content is unusable; the line is skipped and reported. */
export class RecordError extends Error {}

/** Remembers a problem once (the same line is not reported again); returns whether it was new. */
export function recordProblem(db: Database, p: IngestProblem): boolean {
  run(db, 'INSERT OR IGNORE INTO problems (file, line, offset, reason) VALUES (?, ?, ?, ?)', [p.file, p.line ?? null, p.offset ?? -1, p.reason]);
  return db.getRowsModified() > 0;
}

export function listProblems(db: Database, limit = 1000): IngestProblem[] {
  return all(db, 'SELECT file, line, offset, reason FROM problems ORDER BY id DESC LIMIT ?', [limit]).map((r) => ({
    file: String(r.file),
    line: typeof r.line === 'number' ? r.line : undefined,
    offset: typeof r.offset === 'number' && r.offset >= 0 ? r.offset : undefined,
    reason: String(r.reason),
  }));
}
