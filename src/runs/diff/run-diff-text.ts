import type { MetricSummary, RunDetail } from '../../store';
import { paramText } from '../dashboard/dashboard-data';
import { formatDuration, formatNumber } from '../run-text';
import { codeLines, type CodeManifest } from './code-snapshot';

/**
 * The two sides of Diff Runs: each run as a structured text summary, with the same lines in the same order on both
 * sides (a key one run lacks shows `—`), so VS Code's diff editor highlights exactly what changed. The right side
 * also carries the metric deltas (right − left). No `vscode` here.
 */

const MISSING = '—';
/** Metrics where lower is better (their best is the minimum); any other metric's best is its maximum. */
const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|mape|perplexity|time|latency|duration/i;

export function bestOf(m: MetricSummary): { value: number | undefined; agg: 'min' | 'max' } {
  const agg = LOWER_IS_BETTER.test(m.key) ? 'min' : 'max';
  return { value: m[agg], agg };
}

function signed(x: number): string {
  return `${x > 0 ? '+' : x < 0 ? '−' : '±'}${formatNumber(Math.abs(x))}`;
}

function section(title: string, lines: string[]): string[] {
  return [`## ${title}`, ...(lines.length > 0 ? lines : ['(none)']), ''];
}

function paramsSection(run: RunDetail, other: RunDetail): string[] {
  const keys = [...new Set([...Object.keys(run.params), ...Object.keys(other.params)])].sort();
  const text = (r: RunDetail, k: string) => (k in r.params ? paramText(r.params[k]) : MISSING);
  const differ = keys.filter((k) => text(run, k) !== text(other, k));
  const same = keys.filter((k) => !differ.includes(k));
  return [
    ...section(`Params that differ (${differ.length})`, differ.map((k) => `${k} = ${text(run, k)}`)),
    ...section(`Params the same (${same.length})`, same.map((k) => `${k} = ${text(run, k)}`)),
  ];
}

function metricsSection(run: RunDetail, other: RunDetail, deltas: boolean): string[] {
  const mine = new Map(run.metrics.map((m) => [m.key, m]));
  const theirs = new Map(other.metrics.map((m) => [m.key, m]));
  const keys = [...new Set([...mine.keys(), ...theirs.keys()])].sort();
  return section(
    'Metrics (last · best)',
    keys.map((k) => {
      const m = mine.get(k);
      if (!m) return `${k}: ${MISSING}`;
      const best = bestOf(m);
      const o = theirs.get(k);
      let last = formatNumber(m.last);
      let bestText = `${formatNumber(best.value)} (${best.agg})`;
      if (deltas && o) {
        if (Number.isFinite(m.last) && Number.isFinite(o.last)) last += ` (${signed(m.last - o.last)})`;
        const ob = bestOf(o).value;
        if (best.value !== undefined && ob !== undefined) bestText += ` (${signed(best.value - ob)})`;
      }
      return `${k}: last ${last} · best ${bestText} · ${m.count} point${m.count === 1 ? '' : 's'}`;
    }),
  );
}

function environmentSection(run: RunDetail, other: RunDetail): string[] {
  const packages = run.python?.packages ?? {};
  const names = [...new Set([...Object.keys(packages), ...Object.keys(other.python?.packages ?? {})])].sort();
  return section('Environment', [
    `python: ${run.python ? `${run.python.version} (${run.python.executable})` : MISSING}`,
    `host: ${run.host ?? MISSING}`,
    ...names.map((n) => `package ${n}: ${packages[n] ?? MISSING}`),
  ]);
}

function codeSection(run: RunDetail): string[] {
  const git = run.git;
  return [
    ...section('Code', [
      `script: ${run.script?.path ?? MISSING}`,
      `script sha256: ${run.script?.sha256 ?? MISSING}`,
      `arguments: ${run.argv.length > 0 ? run.argv.join(' ') : MISSING}`,
      `working directory: ${run.cwd ?? MISSING}`,
      `git commit: ${git?.commit ?? MISSING}`,
      `git branch: ${git?.branch ?? MISSING}`,
      `git working tree: ${git ? (git.dirty ? 'dirty (uncommitted changes below)' : 'clean') : MISSING}`,
    ]),
    ...section('Uncommitted changes (git diff)', git?.diff ? git.diff.replace(/\n$/, '').split('\n') : []),
  ];
}

/**
 * One side of the diff: `run` described against `other` (the other side); deltas on the right side. `code`: both
 * runs' code snapshots, when either has one (its files are listed with their content hashes); `inputs`: the data
 * files each read (the same way).
 */
export function runDiffText(
  run: RunDetail,
  other: RunDetail,
  side: 'left' | 'right',
  code?: { mine?: CodeManifest; theirs?: CodeManifest },
  inputs?: { mine?: CodeManifest; theirs?: CodeManifest },
): string {
  const files = codeLines(code?.mine, code?.theirs);
  const read = codeLines(inputs?.mine, inputs?.theirs, '(not recorded for this run)');
  const lines = [
    `# Run ${run.name} (${run.id})`,
    `experiment: ${run.experimentName}`,
    `status: ${run.status}${run.error ? ` (${run.error})` : ''}`,
    `started: ${new Date(run.created * 1000).toISOString()}`,
    `duration: ${formatDuration(run.duration) || MISSING}`,
    '',
    ...paramsSection(run, other),
    ...metricsSection(run, other, side === 'right'),
    ...environmentSection(run, other),
    ...codeSection(run),
    ...(files.length > 0 ? section('Code snapshot (the script and the workspace files it imported)', files) : []),
    ...section('Data inputs (the workspace data files the run read)', read.length > 0 ? read : ['not recorded for either run (runs started with python -m mlwb run record them)']),
  ];
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
