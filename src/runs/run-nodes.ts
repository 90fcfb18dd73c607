import type { ListRunsOptions, RunSummary, TrackingStore } from '../store';

/** The elements of the trees that list runs, and how one page-limited list of them is queried (no `vscode`). */

export const PAGE_SIZE = 200;

export interface RunNode {
  kind: 'run';
  /** The list it belongs to: "runs" (the Runs view) or an experiment id. */
  list: string;
  run: RunSummary;
  /** The metric its description shows (the sort metric when sorting by one), when the run has it. */
  metric?: { key: string; value: number };
}

/** "Load more…" at the end of a list that has more runs than it shows. */
export interface MoreNode {
  kind: 'more';
  list: string;
  /** Set in the Experiments view: the experiment whose runs it extends. */
  experiment?: string;
  shown: number;
  total: number;
}

export type RunListNode = RunNode | MoreNode;

export interface RunPage {
  entries: { key: string; fields: RunListNode }[];
  total: number;
}

/**
 * The first `pages` pages of a list of runs: one query for the runs, one for the description metric's
 * values (none when sorting by a metric: the sort value is that metric).
 */
export function queryRunPage(store: TrackingStore, list: string, opts: ListRunsOptions, pages: number, metricKey: string | undefined): RunPage {
  const { runs, total } = store.listRuns({ ...opts, offset: 0, limit: PAGE_SIZE * pages });
  const by = opts.sort?.by;
  const sortMetric = typeof by === 'object' ? by.metric : undefined;
  const values = sortMetric === undefined && metricKey !== undefined ? store.lastMetricValues(runs.map((r) => r.id), metricKey) : undefined;
  const entries: RunPage['entries'] = runs.map((run) => {
    const { sortValue, ...summary } = run;
    const value = sortMetric !== undefined ? sortValue : values?.get(run.id);
    const key = sortMetric ?? metricKey;
    const metric = key !== undefined && value !== undefined && value !== null ? { key, value } : undefined;
    return { key: `run:${run.id}`, fields: { kind: 'run', list, run: summary, ...(metric ? { metric } : {}) } };
  });
  if (total > runs.length) entries.push({ key: `more:${list}`, fields: { kind: 'more', list, experiment: opts.experiment, shown: runs.length, total } });
  return { entries, total };
}

/** The run ids a command was given: a node, an id, or (from a multi-selection) the clicked node plus the selection. */
export function runIdsOf(target: unknown, selection?: unknown): string[] {
  const one = runIdOf(target);
  const many = Array.isArray(selection) ? selection.map(runIdOf).filter((id): id is string => id !== undefined) : [];
  if (one !== undefined && many.includes(one)) return many;
  return one !== undefined ? [one] : many;
}

export function runIdOf(x: unknown): string | undefined {
  if (typeof x === 'string' && x !== '') return x;
  if (typeof x === 'object' && x !== null && (x as RunNode).kind === 'run') return (x as RunNode).run.id;
  return undefined;
}
