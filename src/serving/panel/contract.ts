/** Serving panel <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, isRecord, messageType, type Ready } from '../../platform/webview-contract';

export const SERVING_PROTOCOL = 1;
/** The largest try-it body the host sends on (the server's own limit is usually lower). */
export const MAX_TRY_BODY = 4 * 1024 * 1024;

export interface ServingPanelState {
  model: string;
  version: number;
}

export type ServerStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'died' | 'not running';

export interface ServingInfo {
  model: string;
  version: number;
  status: ServerStatus;
  url?: string;
  host?: string;
  port?: number;
  pid?: number;
  modelClass?: string;
  format?: string;
  features?: string[] | null;
  nFeatures?: number | null;
  task?: string;
  /** When clients need a bearer token: shown masked, copied in full by the host. */
  token?: { masked: string };
  /** Why it is not running (died, could not start). */
  error?: string;
  /** Epoch ms. */
  startedAt?: number;
}

export type TryFormat = 'json' | 'csv';

export interface RecentRequest {
  /** Epoch ms. */
  at: number;
  format: TryFormat;
  proba: boolean;
  /** null: no HTTP answer (connection refused, timeout). */
  status: number | null;
  latencyMs: number | null;
  bytes: number;
  /** The answer's first characters, or the failure. */
  summary: string;
}

export interface PanelSeries {
  id: string;
  label: string;
  /** The server's uptime, seconds. */
  x: number[];
  /** null: a gap. */
  y: (number | null)[];
}

export interface ServingTotals {
  /** Every request, the panel's own /metrics polls included. */
  requests: number;
  /** POST /invocations, whatever their status. */
  invocations: number;
  errors: number;
  errorsByStatus: Record<string, number>;
  predictions: number;
  inFlight: number;
  uptimeS: number;
  batches: number;
  meanBatchRows: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ServingMetricsView {
  latency: PanelSeries[];
  throughput: PanelSeries[];
  totals: ServingTotals | null;
}

export interface TryResponse {
  status: number | null;
  latencyMs: number | null;
  contentType: string;
  body: string;
  error?: string;
}

export type ToServingPanel =
  | { type: 'server'; v: typeof SERVING_PROTOCOL; info: ServingInfo }
  /** The try-it bodies built from the model's features (JSON dataframe_split and CSV). */
  | { type: 'template'; json: string; csv: string }
  | { type: 'metrics'; metrics: ServingMetricsView }
  | { type: 'response'; response: TryResponse }
  | { type: 'recent'; requests: RecentRequest[] };

export type FromServingPanel =
  | Ready
  | { type: 'send'; format: TryFormat; body: string; proba: boolean }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'serve' }
  | { type: 'copyUrl' }
  | { type: 'copyToken' }
  | { type: 'showLog' };

const TYPES = ['ready', 'send', 'stop', 'restart', 'serve', 'copyUrl', 'copyToken', 'showLog'] as const;

/** Validates a message from the webview: it names no URL, host or file (the host knows its server). */
export function parseFromServingPanel(raw: unknown): FromServingPanel {
  const type = messageType(raw, TYPES);
  if (type !== 'send') return { type };
  const { format, body, proba } = raw as Record<string, unknown>;
  if (format !== 'json' && format !== 'csv') throw new BadMessage('send needs a format: json or csv');
  if (typeof body !== 'string') throw new BadMessage('send needs a body string');
  if (body.length > MAX_TRY_BODY) throw new BadMessage(`the body is larger than ${MAX_TRY_BODY} characters`);
  return { type, format, body, proba: proba === true };
}

export function parseServingPanelState(raw: unknown): ServingPanelState {
  if (!isRecord(raw)) throw new BadMessage('no saved state');
  const { model, version } = raw;
  if (typeof model !== 'string' || model === '' || model.length > 128) throw new BadMessage('saved state has no model name');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new BadMessage('saved state has no version number');
  return { model, version };
}

/** "abcd…wxyz": enough to recognise a token, not enough to use it. */
export function maskToken(token: string): string {
  return token.length <= 8 ? '•'.repeat(token.length) : `${token.slice(0, 4)}${'•'.repeat(8)}${token.slice(-4)}`;
}
