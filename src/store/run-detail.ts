import type { Database, ParamsObject } from 'sql.js';
import { levelNumber } from './ingest-run';
import type { LogEntry, LogPage, LogQuery, MetricSummary, RunComparison, RunDetail, RunFile, RunLink } from './query-types';
import type { LogLevel } from './records';
import { RUN_COLUMNS, runSummaries, toRunSummary } from './run-queries';
import { all, num, one, parseJson, str } from './sql';
import type { LivenessOptions } from './status';
import { crashedParam, runVisible, VISIBLE_RUNS } from './visible-runs';

export function getRun(db: Database, liveness: LivenessOptions, id: string, logLimit = 200): RunDetail | undefined {
  const r = one(db, `WITH ${VISIBLE_RUNS} SELECT ${RUN_COLUMNS} FROM v WHERE v.id = $id`, { $crashed: crashedParam(db, liveness), $id: id });
  if (!r) return undefined;
  const latest = all(db, 'SELECT * FROM logs WHERE run = ? ORDER BY seq DESC LIMIT ?', [id, logLimit]).map(toLogEntry).reverse();
  const parentId = str(r.parent);
  const parent = parentId === undefined ? undefined : links(db, liveness, 'v.id = $id', parentId)[0];
  return {
    ...toRunSummary(r, liveness),
    script: parseJson(r.script),
    argv: parseJson<string[]>(r.argv) ?? [],
    cwd: str(r.cwd),
    git: parseJson(r.git),
    python: parseJson(r.python),
    host: str(r.host),
    pid: num(r.pid),
    started: num(r.started),
    metadata: parseJson(r.metadata),
    error: str(r.error),
    traceback: str(r.traceback),
    exitCode: num(r.exit_code),
    lastActivity: num(r.last_activity),
    params: runParams(db, id),
    metrics: metricSummaries(db, id),
    files: runFiles(db, id),
    logs: latest,
    ...(parent ? { parentRun: parent } : {}),
    children: links(db, liveness, 'v.parent = $id ORDER BY v.created, v.id', id),
  };
}

function links(db: Database, liveness: LivenessOptions, where: string, id: string): RunLink[] {
  return all(db, `WITH ${VISIBLE_RUNS} SELECT v.id, v.name, v.eff_status FROM v WHERE ${where}`, { $crashed: crashedParam(db, liveness), $id: id })
    .map((r) => ({ id: String(r.id), name: String(r.name), status: String(r.eff_status) as RunLink['status'] }));
}

function runParams(db: Database, id: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const r of all(db, 'SELECT key, value FROM params WHERE run = ? ORDER BY key', [id])) params[String(r.key)] = JSON.parse(String(r.value));
  return params;
}

function metricSummaries(db: Database, id: string): MetricSummary[] {
  return all(db, 'SELECT * FROM metric_summaries WHERE run = ? ORDER BY key', [id]).map((r) => ({
    key: String(r.key),
    last: num(r.last) ?? NaN,
    min: num(r.min),
    max: num(r.max),
    count: Number(r.count),
    lastStep: Number(r.last_step),
    lastTime: Number(r.last_time),
  }));
}

function runFiles(db: Database, id: string): RunFile[] {
  return all(db, 'SELECT * FROM files WHERE run = ? AND deleted = 0 ORDER BY path', [id]).map((r) => ({
    id: String(r.id),
    path: String(r.path),
    size: num(r.size),
    sha256: str(r.sha256),
    description: str(r.description),
    tags: parseJson<string[]>(r.tags) ?? [],
    meta: parseJson(r.meta),
    created: num(r.created),
    updated: num(r.updated),
  }));
}

/** A page of a run's logs, oldest first, filtered by minimum level and a case-insensitive substring. */
export function getLogs(db: Database, run: string, q: LogQuery = {}): LogPage {
  if (!runVisible(db, run)) return { logs: [], total: 0 };
  const params: ParamsObject = { $run: run, $level: q.level ? levelNumber(q.level) : 0, $search: null };
  let where = 'run = $run AND level_no >= $level';
  if (q.search) {
    where += " AND msg LIKE $search ESCAPE '\\'";
    params.$search = `%${q.search.replace(/[\\%_]/g, '\\$&')}%`;
  }
  const total = Number(one(db, `SELECT COUNT(*) AS n FROM logs WHERE ${where}`, params)?.n ?? 0);
  const rows = all(db, `SELECT * FROM logs WHERE ${where} ORDER BY seq LIMIT $limit OFFSET $offset`, {
    ...params,
    $limit: q.limit ?? 500,
    $offset: q.offset ?? 0,
  });
  return { total, logs: rows.map(toLogEntry) };
}

/** The last `count` log lines at `level` or above, oldest first (the end of a traceback, say). */
export function lastLogLines(db: Database, run: string, count: number, level: LogLevel): string[] {
  const { total } = getLogs(db, run, { level, limit: 0 });
  return total > 0 ? getLogs(db, run, { level, offset: Math.max(0, total - count), limit: count }).logs.map((l) => l.msg) : [];
}

function toLogEntry(r: ParamsObject): LogEntry {
  return {
    seq: Number(r.seq),
    ts: num(r.ts),
    level: String(r.level) as LogLevel,
    msg: String(r.msg),
    meta: parseJson(r.meta),
    stream: str(r.stream) as LogEntry['stream'],
  };
}

/** Params side by side (union of keys, flagged where runs differ) and metric summaries per run. */
export function compareRuns(db: Database, liveness: LivenessOptions, ids: readonly string[]): RunComparison {
  const runs = runSummaries(db, liveness, ids);
  const params = runs.map((r) => runParams(db, r.id));
  const metrics = runs.map((r) => new Map(metricSummaries(db, r.id).map((m) => [m.key, m])));
  const paramKeys = [...new Set(params.flatMap((p) => Object.keys(p)))].sort();
  const metricKeys = [...new Set(metrics.flatMap((m) => [...m.keys()]))].sort();
  return {
    runs,
    params: paramKeys.map((key) => {
      const values = params.map((p) => p[key]);
      const shown = values.map((v) => (v === undefined ? '\u0000missing' : JSON.stringify(v)));
      return { key, values, differs: new Set(shown).size > 1 };
    }),
    metrics: metricKeys.map((key) => ({ key, values: metrics.map((m) => m.get(key)) })),
  };
}
