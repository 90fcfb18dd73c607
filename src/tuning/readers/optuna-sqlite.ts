import * as fs from 'node:fs';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { loadSqlJs } from '../../store/persist';
import { withDerived, spaceOf } from '../analysis';
import type { TuningDistribution, TuningStudy, TuningTrial } from '../model';
import { externalValue, parseDistribution, studyDirection, timestamp, trialState } from './optuna-common';

/**
 * Studies of an optuna RDB storage in SQLite (`sqlite:///study.db`), read with sql.js: every study in the
 * file, every trial as optuna's `study.trials` gives it (categorical params decoded from their stored index,
 * ±inf/NaN values from their value types, intermediate values, user and system attributes, timestamps).
 */
export async function readOptunaSqliteFile(file: string, wasmPath: string): Promise<TuningStudy[]> {
  const SQL = await loadSqlJs(wasmPath);
  return readOptunaSqlite(SQL, fs.readFileSync(file), file);
}

export function readOptunaSqlite(SQL: SqlJsStatic, bytes: Uint8Array, file: string): TuningStudy[] {
  const db = new SQL.Database(bytes);
  try {
    if (!hasTable(db, 'studies') || !hasTable(db, 'trials')) throw new Error(`${file} is not an optuna study database (no studies/trials tables)`);
    return readStudies(db, file);
  } finally {
    db.close();
  }
}

function hasTable(db: Database, name: string): boolean {
  return rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).length > 0;
}

type Row = Record<string, SqlValue>;

function rows(db: Database, sql: string, params: SqlValue[] = []): Row[] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const out: Row[] = [];
    while (stmt.step()) out.push(stmt.getAsObject());
    return out;
  } finally {
    stmt.free();
  }
}

function groupBy<K>(list: Row[], key: (r: Row) => K): Map<K, Row[]> {
  const map = new Map<K, Row[]>();
  for (const r of list) {
    const k = key(r);
    const g = map.get(k);
    if (g) g.push(r);
    else map.set(k, [r]);
  }
  return map;
}

function attrs(list: Row[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of list ?? []) out[String(r.key)] = JSON.parse(String(r.value_json));
  return out;
}

/** trial_values / trial_intermediate_values keep ±inf (and NaN) as a type next to a NULL value. */
function storedFloat(value: SqlValue, type: SqlValue): number {
  switch (String(type)) {
    case 'INF_POS':
      return Infinity;
    case 'INF_NEG':
      return -Infinity;
    case 'NAN':
      return NaN;
    default:
      return typeof value === 'number' ? value : NaN;
  }
}

function readStudies(db: Database, file: string): TuningStudy[] {
  const optional = (table: string, sql: string): Row[] => (hasTable(db, table) ? rows(db, sql) : []);
  const directions = groupBy(rows(db, 'SELECT study_id, direction, objective FROM study_directions ORDER BY study_id, objective'), (r) => Number(r.study_id));
  const studyUser = groupBy(optional('study_user_attributes', 'SELECT study_id, key, value_json FROM study_user_attributes ORDER BY study_user_attribute_id'), (r) => Number(r.study_id));
  const studySystem = groupBy(optional('study_system_attributes', 'SELECT study_id, key, value_json FROM study_system_attributes ORDER BY study_system_attribute_id'), (r) => Number(r.study_id));
  const params = groupBy(rows(db, 'SELECT trial_id, param_name, param_value, distribution_json FROM trial_params ORDER BY param_id'), (r) => Number(r.trial_id));
  const values = groupBy(rows(db, 'SELECT trial_id, objective, value, value_type FROM trial_values ORDER BY trial_id, objective'), (r) => Number(r.trial_id));
  const inter = groupBy(
    rows(db, 'SELECT trial_id, step, intermediate_value, intermediate_value_type FROM trial_intermediate_values ORDER BY trial_id, step'),
    (r) => Number(r.trial_id),
  );
  const trialUser = groupBy(optional('trial_user_attributes', 'SELECT trial_id, key, value_json FROM trial_user_attributes ORDER BY trial_user_attribute_id'), (r) => Number(r.trial_id));
  const trialSystem = groupBy(optional('trial_system_attributes', 'SELECT trial_id, key, value_json FROM trial_system_attributes ORDER BY trial_system_attribute_id'), (r) => Number(r.trial_id));
  const trialsByStudy = groupBy(rows(db, 'SELECT trial_id, number, study_id, state, datetime_start, datetime_complete FROM trials ORDER BY trial_id'), (r) => Number(r.study_id));

  return rows(db, 'SELECT study_id, study_name FROM studies ORDER BY study_id').map((s) => {
    const id = Number(s.study_id);
    const trials: TuningTrial[] = (trialsByStudy.get(id) ?? []).map((t) => {
      const tid = Number(t.trial_id);
      const dists: Record<string, TuningDistribution> = {};
      const ps: Record<string, unknown> = {};
      for (const p of params.get(tid) ?? []) {
        const d = parseDistribution(String(p.distribution_json));
        dists[String(p.param_name)] = d;
        ps[String(p.param_name)] = externalValue(d, Number(p.param_value));
      }
      const vals = values.get(tid);
      const start = timestamp(t.datetime_start);
      const end = timestamp(t.datetime_complete);
      const trial: TuningTrial = {
        number: Number(t.number), state: trialState(t.state), params: ps, distributions: dists,
        values: vals && vals.length > 0 ? vals.map((v) => storedFloat(v.value, v.value_type)) : null,
        intermediate: (inter.get(tid) ?? []).map((v) => ({ step: Number(v.step), value: storedFloat(v.intermediate_value, v.intermediate_value_type) })),
        userAttrs: attrs(trialUser.get(tid)), systemAttrs: attrs(trialSystem.get(tid)),
      };
      if (start) [trial.datetimeStart, trial.started] = [start.iso, start.epoch];
      if (end) [trial.datetimeComplete, trial.ended] = [end.iso, end.epoch];
      if (start && end) trial.durationMs = Math.round((end.epoch - start.epoch) * 1e6) / 1e3;
      return trial;
    });
    const dirs = (directions.get(id) ?? []).map((d) => studyDirection(d.direction));
    return withDerived({
      id: `${file}#${id}`, studyName: String(s.study_name), directions: dirs.length > 0 ? dirs : ['minimize'], source: 'optuna-sqlite',
      space: spaceOf(trials), status: trials.some((t) => t.state === 'running' || t.state === 'waiting') ? 'running' : 'completed', trials,
      userAttrs: attrs(studyUser.get(id)), systemAttrs: attrs(studySystem.get(id)),
    });
  });
}
