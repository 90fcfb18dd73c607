import type { Database } from 'sql.js';
import { all, num } from './sql';

/**
 * What the runs views offer to filter, sort and describe by: the metric keys and tags of the runs
 * the UI shows, and one metric's last value for a page of runs.
 */

const LIVE_RUNS = 'SELECT id FROM runs WHERE has_manifest = 1 AND deleted = 0';

/** Metric keys logged by any visible run, sorted. */
export function metricKeys(db: Database): string[] {
  return all(db, `SELECT DISTINCT key FROM metric_summaries WHERE run IN (${LIVE_RUNS}) ORDER BY key`).map((r) => String(r.key));
}

/** Tags carried by any visible run, sorted. */
export function runTagNames(db: Database): string[] {
  return all(db, `SELECT DISTINCT tag FROM run_tags WHERE run IN (${LIVE_RUNS}) ORDER BY tag`).map((r) => String(r.tag));
}

/** The last value of `key` per run (NaN when the last value was NaN); runs without it are left out. */
export function lastMetricValues(db: Database, runs: readonly string[], key: string): Map<string, number> {
  const rows = all(db, 'SELECT run, last FROM metric_summaries WHERE key = $key AND run IN (SELECT value FROM json_each($runs))', {
    $key: key,
    $runs: JSON.stringify(runs),
  });
  return new Map(rows.map((r) => [String(r.run), num(r.last) ?? NaN]));
}
