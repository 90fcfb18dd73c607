import type { Database } from 'sql.js';
import type { ExperimentSummary, ListExperimentsOptions } from './query-types';
import type { ExperimentStatus } from './records';
import { all, num, parseJson, str } from './sql';
import type { LivenessOptions } from './status';
import { crashedParam, VISIBLE_RUNS } from './visible-runs';

/**
 * A deleted experiment stays hidden unless it was created again or got new runs since (the same
 * name is the same experiment, so a script logging to it again brings it back, without its old runs).
 */
export function listExperiments(db: Database, liveness: LivenessOptions, opts: ListExperimentsOptions = {}): ExperimentSummary[] {
  const rows = all(
    db,
    `WITH ${VISIBLE_RUNS},
     counts AS (SELECT experiment, COUNT(*) AS n, SUM(eff_status = 'running') AS running FROM v GROUP BY experiment)
     SELECT e.*, COALESCE(c.n, 0) AS run_count, COALESCE(c.running, 0) AS running_count
     FROM experiments e LEFT JOIN counts c ON c.experiment = e.id
     WHERE (e.deleted_at IS NULL OR COALESCE(e.recreated_at, 0) > e.deleted_at OR c.n > 0)
       AND ($all OR e.status != 'archived')
     ORDER BY e.updated DESC, e.name`,
    { $crashed: crashedParam(db, liveness), $all: opts.includeArchived ? 1 : 0 },
  );
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    description: str(r.description),
    status: String(r.status) as ExperimentStatus,
    owner: str(r.owner),
    project: str(r.project),
    folder: str(r.folder),
    tags: parseJson<string[]>(r.tags) ?? [],
    created: num(r.created),
    updated: num(r.updated),
    runCount: Number(r.run_count),
    runningCount: Number(r.running_count),
  }));
}

/** Whether the experiment exists and is not deleted (what edits may refer to). */
export function experimentVisible(db: Database, liveness: LivenessOptions, id: string): boolean {
  return listExperiments(db, liveness, { includeArchived: true }).some((e) => e.id === id);
}
