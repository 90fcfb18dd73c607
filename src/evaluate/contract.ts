/** Evaluation panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, isRecord, messageType, type Ready } from '../platform/webview-contract';
import { pngDataUrl, str } from '../runs/charts/message-checks';

export const EVALUATION_PROTOCOL = 1;

/** What the webview keeps in its vscode state, so a reload brings the same file back. */
export interface EvaluationPanelState {
  /** Absolute path of the evaluation.json / comparison.json shown. */
  path: string;
}

export interface Curve {
  label: string;
  x: number[];
  y: number[];
  auc?: number;
  ap?: number;
  count?: number[];
}

export interface PerClassRow {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  roc_auc?: number;
  average_precision?: number;
}

/** One evaluation.json, as the panel draws it (the runner's field names; see EVALUATION.md). */
export interface Evaluation {
  task: 'binary' | 'multiclass' | 'regression';
  model: { path?: string; sha256?: string; loader?: string; class?: string };
  data: { path?: string; sha256?: string; rows?: number; target?: string };
  main_metric: string;
  higher_is_better: boolean;
  metrics: Record<string, number>;
  functions: Record<string, string>;
  classes?: string[];
  per_class?: PerClassRow[];
  confusion?: { labels: string[]; counts: number[][]; normalized: number[][] };
  curves?: { roc: Curve[]; pr: Curve[]; calibration: Curve[] };
  threshold?: { positive: string; thresholds: number[]; precision: number[]; recall: number[]; f1: number[]; best_f1_threshold: number; best_f1: number };
  regression?: {
    predicted_vs_actual: { x: number[]; y: number[] };
    residuals: { x: number[]; y: number[] };
    histogram: { edges: number[]; counts: number[] };
  };
  elapsed_seconds?: number;
}

export interface Comparison {
  main_metric: string;
  higher_is_better: boolean;
  /** metric → B − A. */
  delta: Record<string, number>;
  bootstrap?: { metric: string; difference: number; low: number; high: number; confidence: number; resamples: number; seed?: number; method?: string };
  /** b01: rows A gets right and B wrong; b10: A wrong, B right. */
  mcnemar?: { b01: number; b10: number; statistic: number; p_value: number; exact: boolean };
}

export interface EvaluationPanelData {
  title: string;
  path: string;
  /** One evaluation, or A and B of a comparison (same rows). */
  sides: { name: string; evaluation: Evaluation }[];
  comparison?: Comparison;
  /** The file is a registered version's evaluation: its threshold can be saved with it. */
  version?: { model: string; version: number; threshold?: number };
}

export type ToEvaluationPanel =
  | { type: 'evaluation'; v: typeof EVALUATION_PROTOCOL; data: EvaluationPanelData }
  | { type: 'error'; path: string; message: string };

export type FromEvaluationPanel =
  | Ready
  | { type: 'refresh' }
  | { type: 'exportPng'; chart: string; dataUrl: string }
  | { type: 'openJson' }
  /** Save this threshold with the evaluated version (Serve then uses it). */
  | { type: 'saveThreshold'; threshold: number };

const TYPES = ['ready', 'refresh', 'exportPng', 'openJson', 'saveThreshold'] as const;

/** Validates a message from the webview (untrusted): no message names a file, the host knows its own. */
export function parseFromEvaluationPanel(raw: unknown): FromEvaluationPanel {
  const type = messageType(raw, TYPES);
  if (type === 'exportPng') {
    const chart = str(raw, 'chart', 100);
    if (!/^[a-z][a-z0-9-]*$/.test(chart)) throw new BadMessage('"chart" must be a chart id');
    return { type, chart, dataUrl: pngDataUrl(raw) };
  }
  if (type === 'saveThreshold') {
    const t = (raw as { threshold?: unknown }).threshold;
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new BadMessage('"threshold" must be a probability between 0 and 1');
    return { type, threshold: t };
  }
  return { type };
}

export function parseEvaluationPanelState(raw: unknown): EvaluationPanelState {
  if (!isRecord(raw)) throw new BadMessage('no saved state');
  const p = raw.path;
  if (typeof p !== 'string' || !/\.json$/i.test(p) || p.length > 4096) throw new BadMessage('saved state has no evaluation .json path');
  return { path: p };
}
