import type { Database } from 'sql.js';
import type { ExperimentEvent, ExperimentStatus } from './records';
import { RecordError } from './problems';
import { run } from './sql';

const STATUSES: ExperimentStatus[] = ['active', 'completed', 'archived'];

/** Applies one experiments.jsonl record; returns false for a record type this version does not know. */
export function applyExperimentEvent(db: Database, e: ExperimentEvent): boolean {
  if (typeof e.id !== 'string' || e.id === '') throw new RecordError('experiment event without id');
  switch (e.t) {
    case 'experiment.created':
      run(
        db,
        `INSERT INTO experiments (id, name, description, created, updated, recreated_at) VALUES ($id, $name, $desc, $ts, $ts, $ts)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = COALESCE(excluded.description, description),
           created = MIN(COALESCE(created, excluded.created), excluded.created), updated = MAX(COALESCE(updated, 0), excluded.updated),
           recreated_at = MAX(COALESCE(recreated_at, 0), excluded.recreated_at)`,
        { $id: e.id, $name: e.name || e.id, $desc: e.description ?? null, $ts: e.ts },
      );
      return true;
    case 'experiment.renamed':
      if (typeof e.name !== 'string' || e.name === '') throw new RecordError('experiment.renamed without name');
      update(db, e.id, e.ts, 'name = $v', e.name);
      return true;
    case 'experiment.described':
      update(db, e.id, e.ts, 'description = $v', String(e.description ?? ''));
      return true;
    case 'experiment.status':
      if (!STATUSES.includes(e.status)) throw new RecordError(`unknown experiment status ${JSON.stringify(e.status)}`);
      update(db, e.id, e.ts, 'status = $v', e.status);
      return true;
    case 'experiment.deleted':
      // Hides the runs created before this moment, also after a rebuild; later runs revive the name.
      update(db, e.id, e.ts, 'deleted_at = MAX(COALESCE(deleted_at, 0), $v)', e.ts);
      return true;
    default:
      return false;
  }
}

/** Events may precede the runs that create the experiment (rebuild order): create a placeholder row. */
function update(db: Database, id: string, ts: number, set: string, value: string | number): void {
  run(db, 'INSERT OR IGNORE INTO experiments (id, name, created, updated) VALUES (?, ?, ?, ?)', [id, id.split('/').pop() || id, ts, ts]);
  run(db, `UPDATE experiments SET ${set}, updated = MAX(COALESCE(updated, 0), $ts) WHERE id = $id`, { $id: id, $ts: ts, $v: value });
}
