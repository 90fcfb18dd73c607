/** Tuning panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, isRecord, messageType } from '../../platform/webview-contract';
import type { JsonNumber, RunStatus } from '../../store/records';
import type { ParamImportance, TuningStudy, TuningTrial } from '../model';

export const TUNING_PROTOCOL = 1;

/** What a panel shows: a session of the store (or a run's newest session), or a study in an optuna file. */
export type TuningSource =
  | { kind: 'session'; id: string }
  | { kind: 'run'; runId: string }
  | { kind: 'file'; file: string; study?: string };

/** The webview's saved state: enough to bring the same panel back after a reload. */
export interface TuningPanelState {
  source: TuningSource;
}

/** NaN and ±Infinity do not survive JSON: values travel as JsonNumber. */
export type WireTrial = Omit<TuningTrial, 'values' | 'intermediate'> & {
  values: JsonNumber[] | null;
  intermediate: { step: number; value: JsonNumber }[];
};
export type WireStudy = Omit<TuningStudy, 'trials'> & { trials: WireTrial[] };

export interface StudyChoice {
  id: string;
  label: string;
  description: string;
}

/** What the panel's buttons can do; a string says why a button is disabled. */
export interface TuningActions {
  stop: boolean;
  train: true | string;
  register: true | string;
  openRun: boolean;
}

export interface TuningView {
  source: TuningSource;
  /** Where the study comes from, for the header (a run's name, or the file). */
  origin: string;
  study: WireStudy;
  /** The other studies of the same run or file (the panel switches between them). */
  studies: StudyChoice[];
  /** Per objective. */
  importance: ParamImportance[];
  runStatus?: RunStatus;
  actions: TuningActions;
}

export type ToTuning =
  | { type: 'view'; v: typeof TUNING_PROTOCOL; view: TuningView }
  /** A run that has no session yet (tuning is starting), or a file being read. */
  | { type: 'waiting'; v: typeof TUNING_PROTOCOL; message: string; source: TuningSource }
  | { type: 'error'; message: string; source?: TuningSource };

export type FromTuning =
  | { type: 'ready' }
  | { type: 'selectStudy'; id: string }
  | { type: 'stop' }
  | { type: 'stopNow' }
  | { type: 'trainBest' }
  | { type: 'registerBest' }
  | { type: 'openRun' }
  | { type: 'copyParams'; number: number };

const TYPES = ['ready', 'selectStudy', 'stop', 'stopNow', 'trainBest', 'registerBest', 'openRun', 'copyParams'] as const;

export function parseFromTuning(raw: unknown): FromTuning {
  const type = messageType(raw, TYPES);
  const r = raw as Record<string, unknown>;
  switch (type) {
    case 'selectStudy':
      if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 4096) throw new BadMessage('selectStudy needs a study id');
      return { type, id: r.id };
    case 'copyParams':
      if (!Number.isInteger(r.number) || (r.number as number) < 0) throw new BadMessage('copyParams needs a trial number');
      return { type, number: r.number as number };
    default:
      return { type };
  }
}

export function isTuningPanelState(x: unknown): x is TuningPanelState {
  if (!isRecord(x) || !isRecord(x.source)) return false;
  const s = x.source;
  return (
    (s.kind === 'session' && typeof s.id === 'string') ||
    (s.kind === 'run' && typeof s.runId === 'string') ||
    (s.kind === 'file' && typeof s.file === 'string' && (s.study === undefined || typeof s.study === 'string'))
  );
}

export function sourceKey(s: TuningSource): string {
  return s.kind === 'session' ? `session:${s.id}` : s.kind === 'run' ? `run:${s.runId}` : `file:${s.file}`;
}

const encode = (v: number): JsonNumber => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);
const decode = (v: JsonNumber): number => (typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN);

export function toWireStudy(study: TuningStudy): WireStudy {
  return {
    ...study,
    trials: study.trials.map((t) => ({
      ...t,
      values: t.values ? t.values.map(encode) : null,
      intermediate: t.intermediate.map((p) => ({ step: p.step, value: encode(p.value) })),
    })),
  };
}

export function fromWireStudy(study: WireStudy): TuningStudy {
  return {
    ...study,
    trials: study.trials.map((t) => ({
      ...t,
      values: t.values ? t.values.map(decode) : null,
      intermediate: t.intermediate.map((p) => ({ step: p.step, value: decode(p.value) })),
    })),
  };
}
