import type { Database } from 'sql.js';
import { matchesQuery, queryKeys, type QueryRun } from './query/evaluate';
import type { QueryNode } from './query/parse';
import { all, num, parseJson, str } from './sql';
import { VISIBLE_RUNS } from './visible-runs';

/**
 * The visible runs that match a parsed query, as a set of ids: the query's records are built from the index
 * with only the params, metrics and tags the query names.
 */
export function runsMatching(db: Database, node: QueryNode, crashed: string, now: number): Set<string> {
  const keys = queryKeys(node);
  const records = new Map<string, QueryRun>();
  const rows = all(
    db,
    `WITH ${VISIBLE_RUNS} SELECT v.id, v.name, v.experiment, v.eff_status, v.created, v.ended, v.script_tags,
       COALESCE(v.duration, CASE WHEN v.eff_status = 'crashed' THEN v.last_activity ELSE $now END - COALESCE(v.started, v.created)) AS dur
     FROM v`,
    { $crashed: crashed, $now: now },
  );
  for (const r of rows) {
    const ended = num(r.ended);
    const status = String(r.eff_status);
    records.set(String(r.id), {
      run_id: String(r.id),
      run_name: String(r.name),
      experiment_id: String(r.experiment),
      status,
      start_time: Number(r.created) * 1000,
      end_time: ended === undefined ? null : ended * 1000,
      duration: status === 'queued' ? null : num(r.dur) ?? null,
      params: {},
      metrics: {},
      tags: keys.tags.length > 0 ? scriptTags(str(r.script_tags)) : {},
    });
  }
  if (keys.params.length > 0) {
    for (const r of all(db, 'SELECT run, key, value FROM params WHERE key IN (SELECT value FROM json_each($keys))', { $keys: JSON.stringify(keys.params) })) {
      const rec = records.get(String(r.run));
      if (rec) rec.params[String(r.key)] = parseJson(r.value) ?? null;
    }
  }
  if (keys.metrics.length > 0) {
    for (const r of all(db, 'SELECT run, key, last FROM metric_summaries WHERE key IN (SELECT value FROM json_each($keys))', { $keys: JSON.stringify(keys.metrics) })) {
      const rec = records.get(String(r.run));
      if (rec) rec.metrics[String(r.key)] = num(r.last) ?? NaN;
    }
  }
  if (keys.tags.length > 0) {
    for (const r of all(db, 'SELECT run, tag FROM run_tags WHERE tag IN (SELECT value FROM json_each($keys))', { $keys: JSON.stringify(keys.tags) })) {
      const rec = records.get(String(r.run));
      if (rec && !(String(r.tag) in rec.tags)) rec.tags[String(r.tag)] = '';
    }
  }
  const out = new Set<string>();
  for (const rec of records.values()) if (matchesQuery(node, rec)) out.add(rec.run_id);
  return out;
}

/** A run's key/value tags (tags records, MLflow's), keyed without their "key=value" label form. */
function scriptTags(json: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseJson<Record<string, unknown>>(json) ?? {})) if (typeof v === 'string') tags[k] = v;
  return tags;
}
