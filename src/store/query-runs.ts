import type { Database, SqlValue } from 'sql.js';
import { matchesQuery, queryKeys, type QueryRun } from './query/evaluate';
import type { QueryNode } from './query/parse';
import { num, parseJson, rows as selectRows, str } from './sql';
import { VISIBLE_RUNS } from './visible-runs';

/**
 * The visible runs that match a parsed query, as a set of ids: the query's records are built from the index
 * with only the params, metrics and tags the query names.
 */
export function runsMatching(db: Database, node: QueryNode, crashed: string, now: number): Set<string> {
  const keys = queryKeys(node);
  const records = new Map<string, QueryRun>();
  // Only the columns the query reads: at 10,000 runs reading rows out of sql.js is most of the cost.
  const wanted = ATTRIBUTE_COLUMNS.filter(([attr]) => attr === 'tags' ? keys.tags.length > 0 : keys.attributes.includes(attr));
  const sql = `WITH ${VISIBLE_RUNS} SELECT v.id${wanted.map(([, column]) => `, ${column}`).join('')} FROM v`;
  // Arrays, not objects: sql.js's getAsObject costs several times more (src/store/sql.ts `rows`).
  for (const row of selectRows(db, sql, { $crashed: crashed, ...(keys.attributes.includes('duration') ? { $now: now } : {}) })) {
    const rec: QueryRun = { run_id: String(row[0]), params: {}, metrics: {}, tags: {} };
    wanted.forEach(([attr], i) => setAttribute(rec, attr, row[i + 1]));
    records.set(rec.run_id, rec);
  }
  if (keys.params.length > 0) {
    for (const [run, key, value] of selectRows(db, 'SELECT run, key, value FROM params WHERE key IN (SELECT value FROM json_each($keys))', { $keys: JSON.stringify(keys.params) })) {
      const rec = records.get(String(run));
      if (rec) rec.params[String(key)] = parseJson(value) ?? null;
    }
  }
  if (keys.metrics.length > 0) {
    for (const [run, key, last] of selectRows(db, 'SELECT run, key, last FROM metric_summaries WHERE key IN (SELECT value FROM json_each($keys))', { $keys: JSON.stringify(keys.metrics) })) {
      const rec = records.get(String(run));
      if (rec) rec.metrics[String(key)] = num(last) ?? NaN;
    }
  }
  if (keys.tags.length > 0) {
    for (const [run, tag] of selectRows(db, 'SELECT run, tag FROM run_tags WHERE tag IN (SELECT value FROM json_each($keys))', { $keys: JSON.stringify(keys.tags) })) {
      const rec = records.get(String(run));
      if (rec && !(String(tag) in rec.tags)) rec.tags[String(tag)] = '';
    }
  }
  const out = new Set<string>();
  for (const rec of records.values()) if (matchesQuery(node, rec)) out.add(rec.run_id);
  return out;
}

/** The attributes (and the key/value tags) a record can hold, with the column of `v` each comes from. */
const ATTRIBUTE_COLUMNS: [string, string][] = [
  ['run_name', 'v.name'],
  ['experiment_id', 'v.experiment'],
  ['status', 'v.eff_status'],
  ['start_time', 'v.created'],
  ['end_time', 'v.ended'],
  ['duration', "CASE WHEN v.eff_status = 'queued' THEN NULL ELSE COALESCE(v.duration, CASE WHEN v.eff_status = 'crashed' THEN v.last_activity ELSE $now END - COALESCE(v.started, v.created)) END"],
  ['tags', 'v.script_tags'],
];

function setAttribute(rec: QueryRun, attr: string, value: SqlValue): void {
  switch (attr) {
    case 'run_name':
    case 'experiment_id':
    case 'status':
      rec[attr] = String(value);
      return;
    case 'start_time':
      rec.start_time = Number(value) * 1000;
      return;
    case 'end_time':
      rec.end_time = num(value) === undefined ? null : Number(value) * 1000;
      return;
    case 'duration':
      rec.duration = num(value) ?? null;
      return;
    case 'tags':
      rec.tags = scriptTags(str(value));
      return;
  }
}

/** A run's key/value tags (tags records, MLflow's), keyed without their "key=value" label form. */
function scriptTags(json: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseJson<Record<string, unknown>>(json) ?? {})) if (typeof v === 'string') tags[k] = v;
  return tags;
}
