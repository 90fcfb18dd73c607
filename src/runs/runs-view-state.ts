import * as path from 'node:path';
import { parseQuery, QueryError, type ListRunsOptions, type RunSortKey, type RunStatus } from '../store';

/** What the Runs view shows: its filter and sort, as commands receive them and as the title shows them. */

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'crashed'];

export interface RunsFilter {
  status?: RunStatus[];
  tag?: string;
  text?: string;
  /** Absolute path of a training script. */
  script?: string;
  /** A run query: MLflow's search syntax plus OR, NOT and parentheses (src/store/query). */
  query?: string;
}

export interface RunsSort {
  by: RunSortKey;
  dir: 'asc' | 'desc';
}

/** How much of a query the view's description shows. */
const QUERY_SHOWN = 60;

export const DEFAULT_SORT: RunsSort = { by: 'created', dir: 'desc' };

export function isFiltered(f: RunsFilter): boolean {
  return Boolean(f.status?.length || f.tag || f.text || f.script || f.query);
}

export function listOptions(filter: RunsFilter, sort: RunsSort): ListRunsOptions {
  return { ...filter, sort: { by: sort.by, dir: sort.dir } };
}

export function sortLabel(sort: RunsSort): string {
  const arrow = sort.dir === 'asc' ? '↑' : '↓';
  if (typeof sort.by === 'object') return `${sort.by.metric} (${sort.by.agg}) ${arrow}`;
  if (sort.by === 'created') return sort.dir === 'desc' ? 'newest first' : 'oldest first';
  return `${sort.by} ${arrow}`;
}

/** The view's description: the active filter, then the sort when it is not the default. */
export function describeState(filter: RunsFilter, sort: RunsSort): string {
  const parts: string[] = [];
  if (filter.script) parts.push(`file ${path.basename(filter.script)}`);
  if (filter.status?.length) parts.push(filter.status.join(', '));
  if (filter.tag) parts.push(`#${filter.tag}`);
  if (filter.text) parts.push(`"${filter.text}"`);
  if (filter.query) parts.push(filter.query.length > QUERY_SHOWN ? `${filter.query.slice(0, QUERY_SHOWN)}…` : filter.query);
  if (sortKey(sort) !== sortKey(DEFAULT_SORT)) parts.push(`by ${sortLabel(sort)}`);
  return parts.join(' · ');
}

export function sortKey(sort: RunsSort): string {
  return JSON.stringify(sort);
}

/** A filter given to a command (by a test, a link or another extension): checked like any input. */
export function parseFilter(raw: unknown): RunsFilter {
  if (!isObject(raw)) throw new Error('a runs filter is an object { status?, tag?, text?, script?, query? }');
  const f: RunsFilter = {};
  if (raw.status !== undefined) {
    if (!Array.isArray(raw.status) || !raw.status.every((s) => RUN_STATUSES.includes(s as RunStatus))) {
      throw new Error(`filter.status must list statuses among ${RUN_STATUSES.join(', ')}`);
    }
    if (raw.status.length > 0) f.status = [...new Set(raw.status as RunStatus[])];
  }
  for (const key of ['tag', 'text', 'script', 'query'] as const) {
    const v = raw[key];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') throw new Error(`filter.${key} must be a string`);
    f[key] = v;
  }
  if (f.script !== undefined && !path.isAbsolute(f.script)) throw new Error('filter.script must be an absolute path');
  if (f.query !== undefined) {
    f.query = f.query.trim();
    if (parseQuery(f.query) === undefined) delete f.query; // throws QueryError, with the position, when it does not parse
  }
  return f;
}

export function parseSort(raw: unknown): RunsSort {
  if (!isObject(raw)) throw new Error('a runs sort is an object { by, dir? }');
  const dir = raw.dir ?? 'desc';
  if (dir !== 'asc' && dir !== 'desc') throw new Error('sort.dir must be "asc" or "desc"');
  const by = raw.by;
  if (by === 'created' || by === 'duration' || by === 'name') return { by, dir };
  if (isObject(by) && typeof by.metric === 'string' && by.metric !== '' && (by.agg === 'last' || by.agg === 'min' || by.agg === 'max')) {
    return { by: { metric: by.metric, agg: by.agg }, dir };
  }
  throw new Error('sort.by must be "created", "duration", "name" or { metric, agg: "last" | "min" | "max" }');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether a query parses; its error (naming the column) when it does not. */
export function queryProblem(text: string): string | undefined {
  try {
    parseQuery(text);
    return undefined;
  } catch (err) {
    if (err instanceof QueryError) return err.message;
    throw err;
  }
}
