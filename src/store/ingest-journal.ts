import * as fs from 'node:fs';
import type { Database } from 'sql.js';
import { readJournalLines, type JournalLine, type JournalPosition } from './journal-reader';
import { inStore, type StoreLayout } from './paths';
import { recordProblem, RecordError, type IngestProblem } from './problems';
import { JOURNAL_VERSION } from './records';
import { SeriesGapError } from './series';
import { one, run, transaction } from './sql';

export interface JournalContext {
  db: Database;
  layout: StoreLayout;
  chunkBytes?: number;
  /** New problems found in this pass. */
  problems: IngestProblem[];
}

/** A parsed line: the fields every record has, the rest checked by the applier. */
export type JournalRecord = { v: number; t: string; ts?: number } & Record<string, unknown>;

export interface JournalHandlers {
  /** Applies a record; false when its type is unknown (skipped silently: forward compatible). */
  apply(record: JournalRecord): boolean;
  /** Runs inside the chunk's transaction after its lines, e.g. to flush series or note activity. */
  endChunk?(latestTs: number | undefined): void;
}

function journalPosition(db: Database, rel: string): JournalPosition {
  const row = one(db, 'SELECT offset, line FROM journal_offsets WHERE path = ?', [rel]);
  return { offset: Number(row?.offset ?? 0), line: Number(row?.line ?? 0) };
}

export function journalSize(layout: StoreLayout, rel: string): number | undefined {
  return fs.statSync(inStore(layout, rel), { throwIfNoEntry: false })?.size;
}

/** Ingests the complete lines appended since the recorded offset; returns how many records applied. */
export async function ingestJournal(ctx: JournalContext, rel: string, handlers: JournalHandlers): Promise<number> {
  const from = journalPosition(ctx.db, rel);
  const size = journalSize(ctx.layout, rel);
  if (size === undefined || size <= from.offset) return 0;
  let applied = 0;
  for await (const lines of readJournalLines(inStore(ctx.layout, rel), from, ctx.chunkBytes)) {
    transaction(ctx.db, () => {
      let latestTs: number | undefined;
      for (const line of lines) {
        const record = parseLine(ctx, rel, line);
        if (!record) continue;
        // A record applies whole or not at all: a field of the wrong type found half-way undoes the rest.
        run(ctx.db, 'SAVEPOINT record');
        try {
          if (handlers.apply(record)) {
            applied++;
            if (typeof record.ts === 'number' && (latestTs === undefined || record.ts > latestTs)) latestTs = record.ts;
          }
          run(ctx.db, 'RELEASE record');
        } catch (err) {
          run(ctx.db, 'ROLLBACK TO record');
          run(ctx.db, 'RELEASE record');
          if (isEnvironmentFault(err)) throw err;
          report(ctx, { file: rel, line: line.line, offset: line.start, reason: recordFault(err) });
        }
      }
      handlers.endChunk?.(latestTs);
      const last = lines[lines.length - 1];
      run(ctx.db, 'INSERT OR REPLACE INTO journal_offsets (path, offset, line) VALUES (?, ?, ?)', [rel, last.end, last.line]);
    });
  }
  return applied;
}

function parseLine(ctx: JournalContext, rel: string, line: JournalLine): JournalRecord | undefined {
  const where = { file: rel, line: line.line, offset: line.start };
  if (line.badUtf8) report(ctx, { ...where, reason: 'invalid UTF-8 (bad bytes replaced)' });
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (err) {
    report(ctx, { ...where, reason: `malformed JSON: ${(err as Error).message}` });
    return undefined;
  }
  const r = value as Partial<JournalRecord> | null;
  if (typeof r !== 'object' || r === null || typeof r.v !== 'number' || typeof r.t !== 'string') {
    report(ctx, { ...where, reason: 'not a journal record (needs numeric "v" and string "t")' });
    return undefined;
  }
  if (r.v > JOURNAL_VERSION) {
    report(ctx, { ...where, reason: `record version ${r.v} is newer than ${JOURNAL_VERSION}: skipped (update the extension)` });
    return undefined;
  }
  return r as JournalRecord;
}

/**
 * Errors that say nothing about the line (the disk, the series cache): they stop the pass, which is
 * tried again later, instead of skipping a good line. Anything else thrown while applying a record is
 * the record's fault (a field of the wrong type that sql.js cannot bind, say).
 */
export function isEnvironmentFault(err: unknown): boolean {
  return err instanceof SeriesGapError || typeof (err as NodeJS.ErrnoException | undefined)?.code === 'string';
}

/** The reason shown for a record that could not be applied. */
export function recordFault(err: unknown): string {
  if (err instanceof RecordError) return err.message;
  return `unusable record (a field of the wrong type?): ${err instanceof Error ? err.message : String(err)}`;
}

export function report(ctx: JournalContext, problem: IngestProblem): void {
  if (recordProblem(ctx.db, problem)) ctx.problems.push(problem);
}
