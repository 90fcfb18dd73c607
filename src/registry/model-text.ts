import type { MetricSnapshotEntry, ModelStage, ModelSummary, ModelVersionSummary, RunFile, RunSummary } from '../store';

/** How models and versions read in the Models view (labels, descriptions, tooltips); no `vscode` here. */

export const STAGE_LABEL: Record<ModelStage, string> = { none: 'None', staging: 'Staging', production: 'Production', archived: 'Archived' };

export function versionLabel(version: number): string {
  return `v${version}`;
}

/** "Production · @champion · 2025-03-12 14:02": the stage (none left out), the aliases, the registration time. */
export function versionDescription(v: ModelVersionSummary): string {
  const parts = v.stage === 'none' ? [] : [STAGE_LABEL[v.stage]];
  parts.push(...v.aliases.map((a) => `@${a}`));
  if (v.created !== undefined) parts.push(shortTime(v.created));
  return parts.join(' · ');
}

/** "3 versions · Production v2". */
export function modelDescription(m: ModelSummary): string {
  const parts = [`${m.versionCount} version${m.versionCount === 1 ? '' : 's'}`];
  if (m.productionVersion !== undefined) parts.push(`Production ${versionLabel(m.productionVersion)}`);
  if (m.stagingVersions.length) parts.push(`Staging ${m.stagingVersions.map(versionLabel).join(', ')}`);
  return parts.join(' · ');
}

/** The tree item's contextValue: `version.<stage>`, plus `.aliased` when it holds an alias (for Remove Alias). */
export function versionContext(v: ModelVersionSummary): string {
  return `version.${v.stage}${v.aliases.length ? '.aliased' : ''}`;
}

/** Local time, minutes: stable, so descriptions do not change as time passes. */
export function shortTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** A snapshot value as a number (NaN and infinities travel as strings in the journal). */
export function snapshotValue(e: MetricSnapshotEntry | undefined): number | undefined {
  if (!e) return undefined;
  return typeof e.last === 'number' ? e.last : Number(e.last);
}

function num(v: number | undefined): string {
  if (v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

const md = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
const MAX_METRICS = 12;

/** Markdown for a version's hover: stage, aliases, source run, time, format, size, metrics snapshot. */
export function versionTooltip(v: ModelVersionSummary, run?: Pick<RunSummary, 'name' | 'status'>): string {
  const lines = [`**${md(v.model)} ${versionLabel(v.version)}** — ${STAGE_LABEL[v.stage]}${v.aliases.length ? ` · ${v.aliases.map((a) => `@${md(a)}`).join(' ')}` : ''}`, ''];
  if (v.description) lines.push(md(v.description), '');
  if (v.sourceRun) lines.push(`Source run: ${run ? `**${md(run.name)}** (${run.status}) ` : ''}\`${v.sourceRun}\`${run ? '' : ' (deleted)'}`, '');
  else if (v.sourceFile) lines.push(`Source file: \`${v.sourceFile}\``, '');
  const facts = [v.created !== undefined ? `Registered ${shortTime(v.created)}` : undefined, `format ${v.format}`, v.size !== undefined ? formatBytes(v.size) : undefined];
  if (v.nFeatures !== undefined) facts.push(`${v.nFeatures} feature${v.nFeatures === 1 ? '' : 's'}`);
  lines.push(facts.filter(Boolean).join(' · '));
  const metrics = Object.entries(v.metrics);
  if (metrics.length) {
    lines.push('', '| metric | value |', '|---|---|');
    for (const [k, e] of metrics.slice(0, MAX_METRICS)) lines.push(`| ${md(k)} | ${num(snapshotValue(e))} |`);
    if (metrics.length > MAX_METRICS) lines.push('', `…and ${metrics.length - MAX_METRICS} more`);
  }
  return lines.join('\n');
}

/** What a promotion did, in words: "iris v3 is now in Production; v2 was archived (one Production version per model)." */
export function stageMessage(model: string, version: number, stage: ModelStage, archived: readonly number[]): string {
  const now = stage === 'none' ? `${model} ${versionLabel(version)} has no stage now` : stage === 'archived' ? `${model} ${versionLabel(version)} is archived` : `${model} ${versionLabel(version)} is now in ${STAGE_LABEL[stage]}`;
  if (archived.length === 0) return `${now}.`;
  const which = archived.map(versionLabel).join(', ');
  return `${now}; ${which} ${archived.length === 1 ? 'was' : 'were'} archived (one Production version per model).`;
}

export function aliasMessage(model: string, alias: string, version: number, previous: number | undefined): string {
  if (previous === undefined || previous === version) return `@${alias} now points to ${model} ${versionLabel(version)}.`;
  return `@${alias} moved from ${versionLabel(previous)} to ${versionLabel(version)} of ${model}.`;
}

/**
 * A run's files as Register Model offers them: model files first (tagged `model` by autolog or an MLflow
 * `log_model`), then the rest, each group in path order.
 */
export function registerCandidates(files: readonly RunFile[]): { file: RunFile; model: boolean }[] {
  const isModel = (f: RunFile) => f.tags.includes('model');
  return [...files.filter(isModel), ...files.filter((f) => !isModel(f))].map((file) => ({ file, model: isModel(file) }));
}
