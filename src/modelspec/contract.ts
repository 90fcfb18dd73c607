/** Model Architecture panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, isRecord, messageType, type Ready } from '../platform/webview-contract';

export const ARCHITECTURE_PROTOCOL = 1;

export interface ArchitectureLayer {
  index: number;
  type: string;
  name?: string;
  summary: string;
  /** Output shape ([features] or [channels, height, width]); absent after an error. */
  output?: number[];
  params: number;
  error?: string;
}

export interface ArchitectureProblem {
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** 1-based line in the spec. */
  line: number;
  layer?: number;
}

export interface SpecWeights {
  runId: string;
  runName: string;
  /** Absolute path of the run's model/weights.pt. */
  file: string;
  accuracy?: number;
}

export interface ArchitectureData {
  /** The spec's URI (the panel restores itself from it after a reload). */
  uri: string;
  fileName: string;
  name: string;
  dataset?: string;
  classes?: number;
  input?: number[];
  layers: ArchitectureLayer[];
  totalParams: number;
  problems: ArchitectureProblem[];
  hyperparams: [string, string][];
  /** The latest completed training run of this spec that saved weights. */
  weights?: SpecWeights;
  /** An 8×8 digits network: the panel offers "Try a digit". */
  digits: boolean;
}

export interface InferenceResult {
  label: string;
  probabilities: number[];
  classes: string[];
}

export type ToArchitecture =
  | { type: 'architecture'; v: typeof ARCHITECTURE_PROTOCOL; data: ArchitectureData }
  | { type: 'inference'; requestId: number; result: InferenceResult }
  | { type: 'inferenceError'; requestId: number; message: string }
  | { type: 'error'; message: string };

export type FromArchitecture =
  | Ready
  | { type: 'revealLayer'; layer: number }
  | { type: 'train' }
  | { type: 'register' }
  | { type: 'openRun' }
  | { type: 'infer'; requestId: number; pixels: number[] };

/** Digits pixels: 64 values, 0 (white) to 16 (black), as in scikit-learn's load_digits. */
export const DIGIT_PIXELS = 64;
export const DIGIT_MAX = 16;

export function parseFromArchitecture(raw: unknown): FromArchitecture {
  const type = messageType(raw, ['ready', 'revealLayer', 'train', 'register', 'openRun', 'infer'] as const);
  const r = raw as Record<string, unknown>;
  if (type === 'revealLayer') {
    if (!Number.isInteger(r.layer) || (r.layer as number) < 0) throw new BadMessage('revealLayer needs a layer index');
    return { type, layer: r.layer as number };
  }
  if (type === 'infer') {
    if (!Number.isInteger(r.requestId)) throw new BadMessage('infer needs a requestId');
    const px = r.pixels;
    if (!Array.isArray(px) || px.length !== DIGIT_PIXELS || !px.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= DIGIT_MAX)) {
      throw new BadMessage(`infer needs ${DIGIT_PIXELS} pixels between 0 and ${DIGIT_MAX}`);
    }
    return { type, requestId: r.requestId as number, pixels: px as number[] };
  }
  if (!isRecord(raw)) throw new BadMessage('not an object');
  return { type };
}
