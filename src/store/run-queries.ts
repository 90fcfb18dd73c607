import type { Database, ParamsObject } from 'sql.js';
import type { ListRunsOptions, RunList, RunSummary, SchedulerJob } from './query-types';
import type { RunStatus } from './records';
import { all, num, one, parseJson, str } from './sql';
import type { LivenessOptions } from './status';
import { parseQuery } from './query/parse';
import { runsMatching } from './query-runs';
import { crashedParam, VISIBLE_RUNS } from './visible-runs';

/** Columns every run query selects from `v` (see VISIBLE_RUNS). */
export const RUN_COLUMNS = `v.*, (SELECT json_group_array(tag) FROM run_tags t WHERE t.run = v.id) AS tags_json,
  EXISTS (SELECT 1 FROM tuning_sessions ts WHERE ts.run = v.id) AS has_tuning`;

const SORTS = {
  created: 'v.created',
  duration: "COALESCE(v.duration, CASE WHEN v.eff_status = 'crashed' THEN v.last_activity ELSE $now END - v.created)",
  name: 'v.name COLLATE NOCASE',
} as const;
const AGGREGATES = { last: 'ms.last', min: 'ms.min', max: 'ms.max' } as const;

export function listRuns(db: Database, liveness: LivenessOptions, opts: ListRunsOptions = {}): RunList {
  const params: ParamsObject = { $crashed: crashedParam(db, liveness), $now: nowSeconds(liveness) };
  const where: string[] = [];
  if (opts.experiment !== undefined) {
    where.push('v.experiment = $experiment');
    params.$experiment = opts.experiment;
  }
  if (opts.status && opts.status.length > 0) {
    where.push('v.eff_status IN (SELECT value FROM json_each($statuses))');
    params.$statuses = JSON.stringify(opts.status);
  }
  if (opts.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM run_tags t WHERE t.run = v.id AND t.tag = $tag)');
    params.$tag = opts.tag;
  }
  if (opts.script !== undefined) {
    where.push("json_extract(v.script, '$.path') = $script");
    params.$script = opts.script;
  }
  if (opts.text) {
    const like = "LIKE $text ESCAPE '\\'";
    where.push(`(v.name ${like} OR v.id ${like} OR v.notes ${like} OR v.experiment_name ${like}
      OR EXISTS (SELECT 1 FROM run_tags t WHERE t.run = v.id AND t.tag ${like}))`);
    params.$text = `%${opts.text.replace(/[\\%_]/g, '\\$&')}%`;
  }
  const query = parseQuery(opts.query);
  if (query) {
    where.push('v.id IN (SELECT value FROM json_each($matching))');
    params.$matching = JSON.stringify([...runsMatching(db, query, String(params.$crashed), Number(params.$now))]);
  }
  const by = opts.sort?.by ?? 'created';
  let join = '';
  let sortExpr: string;
  if (typeof by === 'object') {
    join = 'LEFT JOIN metric_summaries ms ON ms.run = v.id AND ms.key = $metric';
    params.$metric = by.metric;
    sortExpr = AGGREGATES[by.agg];
  } else {
    sortExpr = SORTS[by];
  }
  const dir = (opts.sort?.dir ?? (by === 'name' ? 'asc' : 'desc')) === 'asc' ? 'ASC' : 'DESC';
  const filter = `${join} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`;
  const total = Number(one(db, `WITH ${VISIBLE_RUNS} SELECT COUNT(*) AS n FROM v ${filter}`, params)?.n ?? 0);
  // Sort on the sort value alone, then read the full rows (tags, tuning) of the page only: at 10,000 runs
  // computing them for every row before the LIMIT cost most of a refresh.
  const page = all(
    db,
    `WITH ${VISIBLE_RUNS} SELECT v.id, ${sortExpr} AS sort_value FROM v ${filter}
     ORDER BY (${sortExpr}) IS NULL, ${sortExpr} ${dir}, v.id ${dir} LIMIT $limit OFFSET $offset`,
    { ...params, $limit: opts.limit ?? -1, $offset: opts.offset ?? 0 },
  );
  const summaries = new Map(runSummaries(db, liveness, page.map((r) => String(r.id))).map((r) => [r.id, r]));
  const metricSort = typeof by === 'object';
  return {
    total,
    runs: page.flatMap((p) => {
      const run = summaries.get(String(p.id));
      return run ? [{ ...run, ...(metricSort ? { sortValue: num(p.sort_value) ?? null } : {}) }] : [];
    }),
  };
}

/** Visible runs by id, in the requested order (unknown ids left out). */
export function runSummaries(db: Database, liveness: LivenessOptions, ids: readonly string[]): RunSummary[] {
  const rows = all(db, `WITH ${VISIBLE_RUNS} SELECT ${RUN_COLUMNS} FROM v WHERE v.id IN (SELECT value FROM json_each($ids))`, {
    $crashed: crashedParam(db, liveness),
    $ids: JSON.stringify(ids),
  });
  const byId = new Map(rows.map((r) => [String(r.id), toRunSummary(r, liveness)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export function toRunSummary(r: ParamsObject, liveness: LivenessOptions): RunSummary {
  const status = String(r.eff_status) as RunStatus;
  const created = Number(r.created);
  const ended = num(r.ended);
  // A live run's duration grows; a crashed one ends at its last sign of life. A scheduled run's clock starts with its process.
  const until = ended ?? (status === 'running' ? nowSeconds(liveness) : status === 'crashed' ? num(r.last_activity) : undefined);
  const job = schedulerJob(r);
  return {
    id: String(r.id),
    name: String(r.name),
    experiment: String(r.experiment),
    experimentName: String(r.experiment_name),
    status,
    created,
    ended,
    duration: num(r.duration) ?? (until === undefined ? undefined : until - (num(r.started) ?? created)),
    tags: (parseJson<string[]>(r.tags_json) ?? []).sort(),
    notes: str(r.notes),
    ...(Number(r.has_tuning) === 1 ? { tuning: true as const } : {}),
    ...(/\.ipynb$/i.test(parseJson<{ path?: string }>(r.script)?.path ?? '') ? { notebook: true as const } : {}),
    ...(job ? { job } : {}),
    ...(str(r.parent) !== undefined ? { parent: str(r.parent) } : {}),
  };
}

function schedulerJob(r: ParamsObject): SchedulerJob | undefined {
  const id = str(r.job_id);
  if (id === undefined) return undefined;
  const job: SchedulerJob = { scheduler: 'slurm', id, state: str(r.job_state) ?? 'UNKNOWN' };
  for (const [key, column] of [['reason', 'job_reason'], ['node', 'job_node'], ['output', 'job_output']] as const) {
    const v = str(r[column]);
    if (v !== undefined) job[key] = v;
  }
  return job;
}

function nowSeconds(liveness: LivenessOptions): number {
  return (liveness.now ?? Date.now()) / 1000;
}
