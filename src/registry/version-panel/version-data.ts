import * as path from 'node:path';
import type { MetricSnapshotEntry, TrackingStore } from '../../store';
import { pinnedState } from '../../evaluate/pinned-data';
import { versionSignature } from '../../evaluate/signature';
import { snapshotValue } from '../model-text';
import type { MetricRow, VersionPanelData } from './contract';

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Everything the version panel shows, from the store (no `vscode`); undefined when the version is gone. */
export function versionPanelData(store: TrackingStore, model: string, version: number): VersionPanelData | undefined {
  const v = store.getVersion(model, version);
  if (!v) return undefined;
  const summary = store.listModels().find((m) => m.name === model);
  const production = summary?.productionVersion;
  const pinned = summary?.evaluationData;
  const signature = versionSignature(store, v);
  const other = production !== undefined && production !== version ? store.getVersion(model, production) : undefined;
  const run = v.sourceRun ? store.getRun(v.sourceRun, { logLimit: 0 }) : undefined;
  const history = store.modelHistory(model);
  return {
    model: v.model,
    version: v.version,
    stage: v.stage,
    aliases: v.aliases,
    format: v.format,
    size: v.size,
    sha256: v.sha256,
    created: v.created,
    description: v.description,
    tags: v.tags,
    featureNames: v.featureNames,
    nFeatures: v.nFeatures,
    file: { path: v.filePath, name: path.basename(v.filePath), missing: v.fileMissing, source: v.sourceFile },
    run: v.sourceRun
      ? run
        ? {
            id: run.id,
            exists: true,
            name: run.name,
            status: run.status,
            experiment: run.experiment,
            created: run.created,
            params: Object.entries(run.params).map(([key, value]) => ({ key, value: text(value) })),
            metrics: run.metrics.map((m) => ({ key: m.key, last: finite(m.last), min: m.min, max: m.max })),
          }
        : { id: v.sourceRun, exists: false, params: [], metrics: [] }
      : undefined,
    history: v.stageHistory,
    aliasHistory: history
      .filter((h) => (h.kind === 'alias.set' || h.kind === 'alias.removed') && h.alias !== undefined && (h.version === version || h.fromVersion === version))
      .map((h) => ({ ts: h.ts, alias: h.alias!, kind: h.kind === 'alias.set' ? 'set' : 'removed', ...(h.fromVersion !== undefined ? { fromVersion: h.fromVersion } : {}) })),
    productionVersion: other?.version,
    metrics: compareSnapshots(v.metrics, other?.metrics),
    ...(signature ? { signature } : {}),
    ...(v.threshold !== undefined ? { threshold: v.threshold } : {}),
    ...(pinned ? { evaluationData: { path: pinned.path, sha256: pinned.sha256, ...(pinned.target ? { target: pinned.target } : {}), state: pinnedState(pinned) } } : {}),
  };
}

/** This version's metrics next to the Production version's: every key of either, this version's first. */
export function compareSnapshots(mine: Record<string, MetricSnapshotEntry>, production?: Record<string, MetricSnapshotEntry>): MetricRow[] {
  const keys = [...Object.keys(mine).sort(), ...Object.keys(production ?? {}).filter((k) => !(k in mine)).sort()];
  return keys.map((key) => {
    const value = finite(snapshotValue(mine[key]));
    if (!production) return { key, value };
    const prod = finite(snapshotValue(production[key]));
    return { key, value, production: prod, delta: value !== null && prod !== null ? value - prod : null };
  });
}
