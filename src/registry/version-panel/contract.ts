/** Model version panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, isRecord, messageType, type Ready } from '../../platform/webview-contract';
import type { GateRecord, ModelFormat, ModelStage, RunStatus, SignatureColumn } from '../../store/records';

export const VERSION_PROTOCOL = 2;

/** What the webview keeps in its vscode state, so a reload brings the same version back. */
export interface VersionPanelState {
  model: string;
  version: number;
}

export interface MetricRow {
  key: string;
  /** This version's snapshot; null for NaN / ±Infinity or when it lacks the metric. */
  value: number | null;
  /** The Production version's snapshot, when there is another Production version. */
  production?: number | null;
  /** value - production, when both are finite. */
  delta?: number | null;
}

export interface VersionPanelData {
  model: string;
  version: number;
  stage: ModelStage;
  aliases: string[];
  format: ModelFormat;
  size?: number;
  sha256?: string;
  created?: number;
  description?: string;
  tags: string[];
  featureNames?: string[];
  nFeatures?: number;
  file: { path: string; name: string; missing: boolean; source?: string };
  /** The source run: `exists` false when it was deleted since (only its id is left). */
  run?: {
    id: string;
    exists: boolean;
    name?: string;
    status?: RunStatus;
    experiment?: string;
    created?: number;
    params: { key: string; value: string }[];
    metrics: { key: string; last: number | null; min?: number; max?: number }[];
  };
  /** Stage transitions; `gate`: what the promotion gate found; `blocked`: a promotion the gate refused. */
  history: { ts?: number; from?: ModelStage; to: ModelStage; archivedBy?: number; gate?: GateRecord; blocked?: true }[];
  /** Aliases moved to or from this version, with times (the model's history, this version only). */
  aliasHistory: { ts?: number; alias: string; kind: 'set' | 'removed'; fromVersion?: number }[];
  /** The model's Production version when it is another one (undefined: none, or this one). */
  productionVersion?: number;
  metrics: MetricRow[];
  /** The version's input signature and where it came from (recorded, or the source run's autolog). */
  signature?: { columns: SignatureColumn[]; source: string };
  /** The model's pinned evaluation data; `state` says whether the file on disk is still the one pinned. */
  evaluationData?: { path: string; sha256: string; target?: string; state: 'ok' | 'changed' | 'missing' };
  /** The decision threshold Serve uses (binary classifiers). */
  threshold?: number;
}

export type ToVersionPanel =
  | { type: 'version'; v: typeof VERSION_PROTOCOL; data: VersionPanelData }
  /** The version was deleted (or never existed). */
  | { type: 'gone'; model: string; version: number }
  | { type: 'error'; message: string };

export type FromVersionPanel =
  | Ready
  | { type: 'refresh' }
  | { type: 'openRun' }
  | { type: 'openFile' }
  | { type: 'revealFile' }
  | { type: 'copyPath' }
  | { type: 'setStage'; stage: Exclude<ModelStage, 'none'> }
  | { type: 'setEvaluationData' }
  | { type: 'evaluate' }
  | { type: 'inferSignature' };

const TYPES = ['ready', 'refresh', 'openRun', 'openFile', 'revealFile', 'copyPath', 'setStage', 'setEvaluationData', 'evaluate', 'inferSignature'] as const;
const TARGET_STAGES: readonly string[] = ['staging', 'production', 'archived'];

/**
 * Validates a message from the webview. The run and the file are the version's own (the host knows
 * them): no message names a path or a run, so a webview cannot make the host open anything else.
 */
export function parseFromVersionPanel(raw: unknown): FromVersionPanel {
  const type = messageType(raw, TYPES);
  if (type !== 'setStage') return { type };
  const stage = (raw as { stage?: unknown }).stage;
  if (typeof stage !== 'string' || !TARGET_STAGES.includes(stage)) throw new BadMessage('setStage needs a stage: staging, production or archived');
  return { type, stage: stage as Exclude<ModelStage, 'none'> };
}

/** A panel's saved state, after a reload: untrusted like any webview input. */
export function parseVersionPanelState(raw: unknown): VersionPanelState {
  if (!isRecord(raw)) throw new BadMessage('no saved state');
  const { model, version } = raw;
  if (typeof model !== 'string' || model === '' || model.length > 128) throw new BadMessage('saved state has no model name');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new BadMessage('saved state has no version number');
  return { model, version };
}
