import { ACTIVE_JOB_STATES, type RunDetail, type RunSummary } from '../store';

/** How runs read in the trees (description, tooltip) and how typed tags are parsed; no `vscode` here. */

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatNumber(value: number | null | undefined): string {
  if (value === undefined || value === null) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}

/**
 * "12.3 s · eval/accuracy 0.9333": duration, then the chosen metric when the run has it; a scheduler job
 * adds its id and state ("Slurm 1234 · PENDING", "Slurm 1234 · TIMEOUT"; a COMPLETED job just its id).
 */
export function runDescription(run: RunSummary, metric?: { key: string; value: number }): string {
  const parts = [formatDuration(run.duration)];
  if (metric) parts.push(`${metric.key} ${formatNumber(metric.value)}`);
  if (run.job) parts.push(jobStateWorthShowing(run) ? `Slurm ${run.job.id} · ${run.job.state}` : `Slurm ${run.job.id}`);
  return parts.filter(Boolean).join(' · ');
}

/**
 * A finished run's own status is the truth: the job's last polled state (RUNNING, COMPLETING until the tracker
 * polls again) is shown only while the run is unfinished, or when it adds something (TIMEOUT, OUT_OF_MEMORY…).
 */
function jobStateWorthShowing(run: RunSummary): boolean {
  const state = run.job!.state;
  if (run.status === 'queued' || run.status === 'running') return state !== 'COMPLETED';
  return state !== 'COMPLETED' && !ACTIVE_JOB_STATES.includes(state);
}

/** "Slurm job 1234 · PENDING (Resources) on node1". */
export function jobText(job: NonNullable<RunSummary['job']>): string {
  const reason = job.reason && job.reason !== 'None' ? ` (${job.reason})` : '';
  return `Slurm job ${job.id} · ${job.state}${reason}${job.node ? ` on ${job.node}` : ''}`;
}

/**
 * The metric a run's description shows: the setting when given, else the first key (alphabetically)
 * starting with "eval/" or "val", else none.
 */
export function descriptionMetric(setting: string | undefined, keys: readonly string[]): string | undefined {
  if (setting?.trim()) return setting.trim();
  return [...keys].sort().find((k) => k.startsWith('eval/') || k.startsWith('val'));
}

const MAX_PARAMS = 15;
const MAX_METRICS = 15;

/** Markdown for a run's hover: identity, then its params and last metric values as tables. */
export function runTooltip(run: RunDetail): string {
  const lines = [`**${md(run.name)}** — ${run.status}`, ''];
  lines.push(`Experiment \`${md(run.experiment)}\` · started ${new Date(run.created * 1000).toLocaleString()}${run.duration !== undefined ? ` · ${formatDuration(run.duration)}` : ''}`);
  if (run.script) lines.push('', `Script \`${md(run.script.path)}\``);
  if (run.job) lines.push('', md(jobText(run.job)));
  if (run.parentRun) lines.push('', `Nested in **${md(run.parentRun.name)}**`);
  if (run.children.length) lines.push('', `${run.children.length} nested run${run.children.length === 1 ? '' : 's'}`);
  if (run.tags.length) lines.push('', `Tags: ${run.tags.map((t) => `\`${md(t)}\``).join(' ')}`);
  if (run.notes) lines.push('', `Notes: ${md(run.notes)}`);
  if (run.error) lines.push('', `Error: ${md(run.error)}`);
  const params = Object.entries(run.params);
  if (params.length) {
    lines.push('', '| param | value |', '|---|---|');
    for (const [k, v] of params.slice(0, MAX_PARAMS)) lines.push(`| ${cell(k)} | ${cell(typeof v === 'string' ? v : JSON.stringify(v))} |`);
    if (params.length > MAX_PARAMS) lines.push(`| … ${params.length - MAX_PARAMS} more | |`);
  }
  if (run.metrics.length) {
    lines.push('', '| metric | last | min | max |', '|---|---:|---:|---:|');
    for (const m of run.metrics.slice(0, MAX_METRICS)) lines.push(`| ${cell(m.key)} | ${formatNumber(m.last)} | ${formatNumber(m.min)} | ${formatNumber(m.max)} |`);
    if (run.metrics.length > MAX_METRICS) lines.push(`| … ${run.metrics.length - MAX_METRICS} more | | | |`);
  }
  return lines.join('\n');
}

function md(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, '\\$&');
}

function cell(text: string): string {
  return md(text.length > 80 ? `${text.slice(0, 79)}…` : text).replace(/\r?\n/g, ' ');
}

const MAX_TAG = 64;

/** "a, b ,a" → ['a', 'b']; an error message for a tag that is too long or has control characters. */
export function parseTags(text: string): { tags: string[] } | { error: string } {
  const tags = [...new Set(text.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
  for (const t of tags) {
    if (t.length > MAX_TAG) return { error: `A tag has at most ${MAX_TAG} characters: "${t.slice(0, 20)}…"` };
    if (/[\u0000-\u001f\u007f]/.test(t)) return { error: `A tag cannot contain control characters: ${JSON.stringify(t)}` };
  }
  return { tags };
}
