import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, ParamsObject } from 'sql.js';
import { inStore, type StoreLayout } from './paths';
import type { MetricSnapshotEntry, ModelFormat, ModelStage } from './records';
import type { ModelSummary, ModelVersionDetail, ModelVersionSummary, RegistryHistoryEntry, RegistryHistoryKind, StageTransition } from './registry-types';
import { runSummaries } from './run-queries';
import { all, num, one, parseJson, str } from './sql';
import type { LivenessOptions } from './status';

/** Every model, by name. */
export function listModels(db: Database, layout?: StoreLayout): ModelSummary[] {
  const models = all(db, 'SELECT * FROM models ORDER BY name');
  const versions = all(db, 'SELECT model, version, stage FROM model_versions WHERE deleted = 0 ORDER BY model, version');
  const aliases = all(db, 'SELECT model, alias, version FROM model_aliases ORDER BY model, alias');
  return models.map((m) => {
    const name = String(m.name);
    const mine = versions.filter((v) => v.model === name);
    return {
      name,
      description: str(m.description),
      tags: parseJson<string[]>(m.tags) ?? [],
      created: num(m.created),
      updated: num(m.updated),
      versionCount: mine.length,
      latestVersion: num(mine[mine.length - 1]?.version),
      productionVersion: num(mine.find((v) => v.stage === 'production')?.version),
      stagingVersions: mine.filter((v) => v.stage === 'staging').map((v) => Number(v.version)),
      aliases: Object.fromEntries(aliases.filter((a) => a.model === name).map((a) => [String(a.alias), Number(a.version)])),
      ...evaluationData(m.eval_data, layout),
    };
  });
}

/** Where a recorded evaluation-data path points: relative paths are from the store's parent (the workspace). */
export function evaluationDataFile(layout: StoreLayout, recorded: string): string {
  return path.isAbsolute(recorded) ? recorded : path.resolve(path.dirname(layout.root), ...recorded.split('/'));
}

/** How a file is recorded as evaluation data: relative to the workspace when inside it ('/'-separated), else absolute. */
export function evaluationDataPath(layout: StoreLayout, file: string): string {
  const rel = path.relative(path.dirname(layout.root), path.resolve(file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : path.resolve(file);
}

function evaluationData(raw: ParamsObject[string], layout: StoreLayout | undefined): Pick<ModelSummary, 'evaluationData'> {
  const d = parseJson<NonNullable<ModelSummary['evaluationData']>>(raw);
  if (!d || !layout) return {};
  return { evaluationData: { ...d, file: evaluationDataFile(layout, d.path) } };
}

export function modelExists(db: Database, model: string): boolean {
  return one(db, 'SELECT 1 AS x FROM models WHERE name = ?', [model]) !== undefined;
}

/** A model's versions, newest first (deleted ones left out). */
export function listVersions(db: Database, model: string): ModelVersionSummary[] {
  const aliases = aliasesByVersion(db, model);
  return all(db, 'SELECT * FROM model_versions WHERE model = ? AND deleted = 0 ORDER BY version DESC', [model]).map((r) => toVersion(r, aliases));
}

export function versionSummary(db: Database, model: string, version: number): ModelVersionSummary | undefined {
  const r = one(db, 'SELECT * FROM model_versions WHERE model = ? AND version = ? AND deleted = 0', [model, version]);
  return r && toVersion(r, aliasesByVersion(db, model));
}

export function getVersion(db: Database, layout: StoreLayout, liveness: LivenessOptions, model: string, version: number): ModelVersionDetail | undefined {
  const summary = versionSummary(db, model, version);
  if (!summary) return undefined;
  const filePath = inStore(layout, summary.path);
  const stageHistory: StageTransition[] = modelHistory(db, model)
    .filter((h) => h.version === version && (h.kind === 'registered' || h.kind === 'stage' || h.kind === 'gate'))
    .map((h) => ({
      ts: h.ts, from: h.from, to: h.to ?? 'none',
      ...(h.archivedBy !== undefined ? { archivedBy: h.archivedBy } : {}),
      ...(h.detail?.gate ? { gate: h.detail.gate } : {}),
      ...(h.kind === 'gate' ? { blocked: true as const } : {}),
    }));
  return {
    ...summary,
    filePath,
    fileMissing: !fs.statSync(filePath, { throwIfNoEntry: false })?.isFile(),
    stageHistory,
    run: summary.sourceRun ? runSummaries(db, liveness, [summary.sourceRun])[0] : undefined,
  };
}

/** The version holding `alias`; "latest" is the latest version (MLflow reserves it for that). */
export function versionByAlias(db: Database, model: string, alias: string): ModelVersionSummary | undefined {
  if (alias.toLowerCase() === 'latest') {
    const latest = num(one(db, 'SELECT MAX(version) AS n FROM model_versions WHERE model = ? AND deleted = 0', [model])?.n);
    return latest === undefined ? undefined : versionSummary(db, model, latest);
  }
  const version = num(one(db, 'SELECT version FROM model_aliases WHERE model = ? AND alias = ?', [model, alias])?.version);
  return version === undefined ? undefined : versionSummary(db, model, version);
}

/** Every change of a model since it was (last) created, in journal order. */
export function modelHistory(db: Database, model: string): RegistryHistoryEntry[] {
  return all(
    db,
    `SELECT h.*, (SELECT p.version FROM model_history p
                  WHERE h.kind = 'stage' AND h.to_stage = 'archived' AND p.model = h.model AND p.event = h.event AND p.kind = 'stage'
                    AND p.to_stage = 'production' LIMIT 1) AS archived_by
     FROM model_history h WHERE h.model = ? ORDER BY h.seq`,
    [model],
  ).map((r) => {
    const entry: RegistryHistoryEntry = { seq: Number(r.seq), ts: num(r.ts), kind: String(r.kind) as RegistryHistoryKind };
    const version = num(r.version);
    if (version !== undefined) entry.version = version;
    if (typeof r.from_stage === 'string') entry.from = r.from_stage as ModelStage;
    if (typeof r.to_stage === 'string') entry.to = r.to_stage as ModelStage;
    if (typeof r.alias === 'string') entry.alias = r.alias;
    const fromVersion = num(r.from_version);
    if (fromVersion !== undefined) entry.fromVersion = fromVersion;
    const archivedBy = num(r.archived_by);
    if (archivedBy !== undefined) entry.archivedBy = archivedBy;
    const detail = parseJson<RegistryHistoryEntry['detail']>(r.detail);
    if (detail) entry.detail = detail;
    return entry;
  });
}

/** Versions a record moved out of production because it promoted another (see StageChange). */
export function archivedByEvent(db: Database, model: string, event: string): number[] {
  return all(db, "SELECT version FROM model_history WHERE model = ? AND event = ? AND kind = 'stage' AND to_stage = 'archived' ORDER BY version", [model, event]).map((r) =>
    Number(r.version),
  );
}

/** The number the index gave a version.registered record (the next free one if its own was taken). */
export function versionOfEvent(db: Database, model: string, event: string): number | undefined {
  return num(one(db, 'SELECT version FROM model_versions WHERE model = ? AND event = ?', [model, event])?.version);
}

/** The highest number ever given within the model (deleted versions included): numbers are never reused. */
export function maxVersion(db: Database, model: string): number {
  return num(one(db, 'SELECT MAX(version) AS n FROM model_versions WHERE model = ?', [model])?.n) ?? 0;
}

function aliasesByVersion(db: Database, model: string): Map<number, string[]> {
  const byVersion = new Map<number, string[]>();
  for (const a of all(db, 'SELECT alias, version FROM model_aliases WHERE model = ? ORDER BY alias', [model])) {
    const v = Number(a.version);
    byVersion.set(v, [...(byVersion.get(v) ?? []), String(a.alias)]);
  }
  return byVersion;
}

function toVersion(r: ParamsObject, aliases: Map<number, string[]>): ModelVersionSummary {
  const version = Number(r.version);
  const out: ModelVersionSummary = {
    model: String(r.model),
    version,
    stage: String(r.stage) as ModelStage,
    stageUpdated: num(r.stage_updated),
    aliases: aliases.get(version) ?? [],
    format: String(r.format) as ModelFormat,
    size: num(r.size),
    sha256: str(r.sha256),
    path: String(r.path),
    sourceRun: str(r.source_run),
    sourceFile: str(r.source_file),
    metrics: parseJson<Record<string, MetricSnapshotEntry>>(r.metrics) ?? {},
    featureNames: parseJson<string[]>(r.feature_names),
    nFeatures: num(r.n_features),
    description: str(r.description),
    tags: parseJson<string[]>(r.tags) ?? [],
    created: num(r.created),
    updated: num(r.updated),
  };
  const signature = parseJson<ModelVersionSummary['signature']>(r.signature);
  if (signature) out.signature = signature;
  const threshold = num(r.threshold);
  if (threshold !== undefined) out.threshold = threshold;
  return out;
}
