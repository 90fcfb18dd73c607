import type { Database } from 'sql.js';
import type { RunEdit } from './records';
import { RecordError } from './problems';
import { syncRunTags } from './run-tags';
import { run } from './sql';

/** Applies one edits.jsonl record; returns false for a record type this version does not know. */
export function applyRunEdit(db: Database, e: RunEdit): boolean {
  if (typeof e.run !== 'string' || e.run === '') throw new RecordError('run edit without run');
  // The run's row may not exist yet (its run.json not read yet): edits live in their own columns.
  run(db, 'INSERT OR IGNORE INTO runs (id) VALUES (?)', [e.run]);
  switch (e.t) {
    case 'run.renamed':
      if (typeof e.name !== 'string' || e.name === '') throw new RecordError('run.renamed without name');
      run(db, 'UPDATE runs SET name_override = ? WHERE id = ?', [e.name, e.run]);
      return true;
    case 'run.notes':
      run(db, 'UPDATE runs SET notes = ? WHERE id = ?', [String(e.notes ?? ''), e.run]);
      return true;
    case 'run.tags':
      if (!Array.isArray(e.tags) || !e.tags.every((t) => typeof t === 'string')) throw new RecordError('run.tags without a list of strings');
      run(db, 'UPDATE runs SET tags_override = ? WHERE id = ?', [JSON.stringify(e.tags), e.run]);
      syncRunTags(db, e.run);
      return true;
    case 'run.deleted':
      run(db, 'UPDATE runs SET deleted = 1 WHERE id = ?', [e.run]);
      return true;
    default:
      return false;
  }
}
