import type { Database } from 'sql.js';
import { all, num, one, str } from './sql';
import { derivedStatus, type LivenessOptions } from './status';

/**
 * `v`: the runs the UI shows (manifest read, not deleted, not gone with their experiment), with their
 * display name and derived status. Bind `$crashed` with `crashedParam()`.
 */
export const VISIBLE_RUNS = `
  v AS (
    SELECT r.*, COALESCE(r.name_override, r.manifest_name, r.id) AS name, e.name AS experiment_name,
      CASE WHEN r.status = 'running' AND r.id IN (SELECT value FROM json_each($crashed)) THEN 'crashed' ELSE r.status END AS eff_status
    FROM runs r JOIN experiments e ON e.id = r.experiment
    WHERE r.has_manifest = 1 AND r.deleted = 0 AND (e.deleted_at IS NULL OR r.created > e.deleted_at)
  )`;

/** JSON list of the runs whose journal says running but whose process is gone. */
export function crashedParam(db: Database, liveness: LivenessOptions): string {
  const rows = all(db, "SELECT id, host, pid, last_activity FROM runs WHERE status = 'running' AND has_manifest = 1");
  const crashed = rows.filter(
    (r) => derivedStatus({ status: 'running', host: str(r.host), pid: num(r.pid), lastActivity: num(r.last_activity) }, liveness) === 'crashed',
  );
  return JSON.stringify(crashed.map((r) => r.id));
}

/** Whether the UI shows this run (its status does not matter here). */
export function runVisible(db: Database, id: string): boolean {
  return one(db, `WITH ${VISIBLE_RUNS} SELECT 1 AS x FROM v WHERE v.id = $id`, { $crashed: '[]', $id: id }) !== undefined;
}
