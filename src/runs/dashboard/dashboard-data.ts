/** The dashboard's state from the store's RunDetail, and what changed between two passes (no `vscode`). */
import type { MetricSummary, RunDetail } from '../../store/query-types';
import { summaryToWire } from '../charts/series-wire';
import type { DashboardData, RunReport } from './contract';
import { EXECUTED_NOTEBOOK, isNotebookRun } from '../notebook-run';
import { figureRefs } from './run-media';

/** `reports`: the run's report files as the panel read them (see run-media.ts). */
export function dashboardData(run: RunDetail, reports: RunReport[] = []): DashboardData {
  return {
    run: {
      id: run.id,
      name: run.name,
      status: run.status,
      experiment: run.experiment,
      experimentName: run.experimentName,
      created: run.created,
      ended: run.ended,
      duration: run.duration,
      script: run.script?.path,
      argv: run.argv,
      git: run.git && { commit: run.git.commit, branch: run.git.branch, dirty: run.git.dirty },
      interpreter: run.python && { executable: run.python.executable, version: run.python.version },
      host: run.host,
      job: run.job && { id: run.job.id, state: run.job.state, reason: run.job.reason, node: run.job.node },
      error: run.error,
      traceback: run.traceback,
      tags: run.tags,
      notes: run.notes ?? '',
      ...(run.parentRun ? { parent: run.parentRun } : {}),
      children: run.children,
    },
    params: Object.entries(run.params).map(([key, value]) => ({ key, value: paramText(value) })),
    metrics: run.metrics.map(summaryToWire),
    files: run.files.map((f) => ({ id: f.id, path: f.path, size: f.size, description: f.description, ...(f.path === EXECUTED_NOTEBOOK && isNotebookRun(run) ? { compare: true as const } : {}) })),
    figures: figureRefs(run.files),
    reports,
  };
}

export function paramText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

/** A metric's fingerprint: it changes whenever points are added. */
function fingerprint(m: MetricSummary): string {
  return `${m.count}:${m.lastStep}:${m.lastTime}`;
}

export type MetricFingerprints = Map<string, string>;

export function fingerprints(metrics: readonly MetricSummary[]): MetricFingerprints {
  return new Map(metrics.map((m) => [m.key, fingerprint(m)]));
}

/** Keys that are new or gained points since `before`. */
export function changedKeys(before: MetricFingerprints, metrics: readonly MetricSummary[]): string[] {
  return metrics.filter((m) => before.get(m.key) !== fingerprint(m)).map((m) => m.key);
}
