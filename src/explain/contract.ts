/** Explain panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, isRecord, messageType, type Ready } from '../platform/webview-contract';
import { int, pngDataUrl, str } from '../runs/charts/message-checks';

export const EXPLAIN_PROTOCOL = 1;

/** What the webview keeps in its vscode state, so a reload brings the same explanation back. */
export interface ExplainPanelState {
  /** Absolute path of the explain.json shown. */
  path: string;
  output: number;
}

/**
 * One feature's values for the rows sent. Numeric columns: the numbers (null for missing);
 * categorical ones: the index of the value in `categories` (which sorts them).
 */
export interface FeatureColumn {
  name: string;
  numeric: boolean;
  values: (number | null)[];
  categories?: string[];
}

export interface ImportanceRow {
  feature: string;
  /** Mean |SHAP| over every output (the file's ranking). */
  meanAbsShap: number;
  /** Mean |SHAP| for the selected output. */
  meanAbs: number;
  permutationMean?: number;
  permutationStd?: number;
}

export interface PdpData {
  feature: string;
  grid: number[];
  average: number[];
  /** ICE lines (at most MAX_ICE_LINES). */
  individual: number[][];
}

export interface ExplainPanelData {
  title: string;
  path: string;
  model: { type?: string; path?: string };
  method: string;
  algorithm: string;
  task?: string;
  outputSpace: string;
  created?: number;
  data?: { path?: string; target?: string | null };
  run?: string;
  notes: string[];
  warnings: string[];
  localAccuracyMaxError?: number;
  /** Rows the file explains, and how many of them are sent (evenly spaced when fewer). */
  rows: { explained: number; sent: number; data?: number };
  /** Features in the model, and how many (the most important) are sent with their values. */
  featureCount: number;
  outputs: { name: string; baseValue: number }[];
  /** The output (class) the SHAP values, predictions and PDP below are for. */
  output: number;
  baseValue: number;
  /** Every feature, most important (over all outputs) first. */
  importance: ImportanceRow[];
  permutation?: { scoring?: string; baselineScore?: number; repeats?: number };
  permutationSkipped?: string;
  /** The sent features, most important first; `shap[j][i]` is feature j's SHAP value for sent row i. */
  features: FeatureColumn[];
  shap: number[][];
  /** Per sent row: the SHAP values of the features not sent, summed (for the waterfall's "other"). */
  restShap: number[];
  prediction: number[];
  /** Per sent row: its row number in the data (0-based), when the file says. */
  rowNumbers?: number[];
  pdp: PdpData[];
}

export type ToExplainPanel =
  | { type: 'explanation'; v: typeof EXPLAIN_PROTOCOL; data: ExplainPanelData }
  /** The file is missing or malformed: what is wrong, in words. */
  | { type: 'error'; path: string; message: string };

export type ExplainChartId = 'importance' | 'permutation' | 'beeswarm' | 'dependence' | 'waterfall' | `pdp-${number}`;

export type FromExplainPanel =
  | Ready
  | { type: 'refresh' }
  | { type: 'selectOutput'; output: number }
  | { type: 'exportPng'; chart: string; dataUrl: string }
  | { type: 'openJson' };

const TYPES = ['ready', 'refresh', 'selectOutput', 'exportPng', 'openJson'] as const;

/** Validates a message from the webview (untrusted): no message names a file, the host knows its own. */
export function parseFromExplainPanel(raw: unknown): FromExplainPanel {
  const type = messageType(raw, TYPES);
  switch (type) {
    case 'selectOutput':
      return { type, output: int(raw, 'output', 0, 10_000) };
    case 'exportPng': {
      const chart = str(raw, 'chart', 100);
      if (!/^[a-z][a-z0-9-]*$/.test(chart)) throw new BadMessage('"chart" must be a chart id');
      return { type, chart, dataUrl: pngDataUrl(raw) };
    }
    default:
      return { type };
  }
}

/** A panel's saved state, after a reload: untrusted like any webview input. */
export function parseExplainPanelState(raw: unknown): ExplainPanelState {
  if (!isRecord(raw)) throw new BadMessage('no saved state');
  const { path, output } = raw;
  if (typeof path !== 'string' || !/\.json$/i.test(path) || path.length > 4096) throw new BadMessage('saved state has no explain.json path');
  return { path, output: typeof output === 'number' && Number.isInteger(output) && output >= 0 ? output : 0 };
}
