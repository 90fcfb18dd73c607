import type { RunSummary } from './query-types';
import type { EvaluationDataRef, GateRecord, MetricSnapshotEntry, ModelFormat, ModelStage, SignatureColumn } from './records';

/** Typed results and options of the model registry (registry/events.jsonl). */

export interface ModelSummary {
  name: string;
  description?: string;
  tags: string[];
  created?: number;               // epoch seconds
  updated?: number;
  /** Versions not deleted. */
  versionCount: number;
  latestVersion?: number;
  productionVersion?: number;
  stagingVersions: number[];
  /** alias → version. */
  aliases: Record<string, number>;
  /** The pinned evaluation data (`path` as recorded; `file` resolved), when one is pinned. */
  evaluationData?: EvaluationDataRef & { file: string; ts?: number };
}

export interface ModelVersionSummary {
  model: string;
  version: number;
  stage: ModelStage;
  /** When the stage last changed (the registration time for 'none'). */
  stageUpdated?: number;
  aliases: string[];
  format: ModelFormat;
  size?: number;
  sha256?: string;
  /** Store-relative path of the registered copy (registry/models/<dir>/<n>/<file>). */
  path: string;
  sourceRun?: string;
  sourceFile?: string;
  /** The source run's metric summaries when the version was registered. */
  metrics: Record<string, MetricSnapshotEntry>;
  featureNames?: string[];
  nFeatures?: number;
  description?: string;
  tags: string[];
  created?: number;
  updated?: number;
  /** The input columns recorded with the version (Infer Signature, the gate), when there are. */
  signature?: { columns: SignatureColumn[]; source: string; ts?: number };
  /** A binary classifier's decision threshold on P(positive) (Serve predicts the positive class at or above it). */
  threshold?: number;
}

export interface StageTransition {
  ts?: number;
  from?: ModelStage;              // undefined for the registration
  to: ModelStage;
  /** Set when this transition was caused by promoting another version to production. */
  archivedBy?: number;
  /** What the promotion gate found (a gated promotion, or `blocked`: one that did not happen). */
  gate?: GateRecord;
  /** The gate blocked this promotion: the stage did not change. */
  blocked?: true;
}

export interface ModelVersionDetail extends ModelVersionSummary {
  /** Absolute path of the registered copy. */
  filePath: string;
  /** The copy is not on disk (removed by hand, or a registration that raced a model deletion). */
  fileMissing: boolean;
  stageHistory: StageTransition[];
  /** The source run, if it still exists. */
  run?: RunSummary;
}

export type RegistryHistoryKind =
  | 'model.created' | 'model.described' | 'model.tags'
  | 'registered' | 'stage' | 'described' | 'tags' | 'deleted'
  | 'alias.set' | 'alias.removed'
  | 'gate' | 'evaluation_data' | 'signature' | 'threshold';

/** One change of a model, in journal order. */
export interface RegistryHistoryEntry {
  seq: number;
  ts?: number;
  kind: RegistryHistoryKind;
  version?: number;
  from?: ModelStage;
  to?: ModelStage;
  alias?: string;
  /** alias.set: the version that held the alias before. */
  fromVersion?: number;
  /** stage: the promotion that caused this archival, when it was one. */
  archivedBy?: number;
  /** gate / stage: the gate's outcome; evaluation_data: the data pinned (null: unpinned). */
  detail?: { gate?: GateRecord; data?: EvaluationDataRef | null; threshold?: number | null };
}

export interface RegisterVersionOptions {
  /** The file to copy into the registry (a run's file or any file). */
  sourceFile: string;
  /** The run it came from; inferred when sourceFile is inside a run of this store. */
  sourceRun?: string;
  description?: string;
  tags?: string[];
  /** For formats whose feature names cannot be read without Python (pickles). */
  featureNames?: string[];
}

export interface RegisteredVersion {
  model: string;
  version: number;
}

export interface StageChange {
  /** Versions this promotion moved from production to archived (the UI tells the user). */
  archived: number[];
}

export interface AliasChange {
  /** The version that held the alias before, if another one did. */
  previous?: number;
}
