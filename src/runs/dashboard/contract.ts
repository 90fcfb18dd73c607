/** Run dashboard <-> extension host. Imported by both sides; bump the version on any change. */
import { BadMessage, messageType } from '../../platform/webview-contract';
import type { LogEntry, RunLink, XAxis } from '../../store/query-types';
import type { LogLevel, RunStatus } from '../../store/records';
import type { WireSeries, WireSummary } from '../charts/series-wire';
import { int, level, optStr, pngDataUrl, range, str, stringList, width, xAxis } from '../charts/message-checks';

export const DASHBOARD_PROTOCOL = 5;

/** What the webview keeps in its vscode state, so a reload brings the same run back. */
export interface DashboardState {
  runId: string;
  xAxis?: XAxis;
  smoothing?: number;
  logScale?: boolean;
}

export interface RunHeader {
  id: string;
  name: string;
  status: RunStatus;
  experiment: string;
  experimentName: string;
  created: number;
  ended?: number;
  duration?: number;
  script?: string;
  argv: string[];
  git?: { commit: string; branch?: string; dirty: boolean };
  interpreter?: { executable: string; version: string };
  host?: string;
  /** The scheduler job (Slurm) behind the run: its id, latest state, why it waits, where it runs. */
  job?: { id: string; state: string; reason?: string; node?: string };
  error?: string;
  traceback?: string;
  tags: string[];
  notes: string;
  /** The run it is nested in (an MLflow nested run's parent), and the runs nested in it. */
  parent?: RunLink;
  children: RunLink[];
}

export interface DashboardData {
  run: RunHeader;
  /** Params in key order, values shown as text (JSON for non-strings). */
  params: { key: string; value: string }[];
  metrics: WireSummary[];
  /** `compare`: the executed notebook of a notebook run, which can be diffed against its source notebook. */
  files: { id: string; path: string; size?: number; description?: string; compare?: true }[];
  /** The run's images (captured matplotlib figures and any PNG/JPEG/GIF it saved), oldest first. */
  figures: FigureRef[];
  /** Classification reports and confusion matrices the run kept (run files tagged "report"). */
  reports: RunReport[];
}

/** A figure the dashboard lists; its bytes come in a `figures` message (sent again when `version` changes). */
export interface FigureRef {
  path: string;
  version: string;
  title?: string;
  size?: number;
}

/** A figure's image as a data URL, or why it is not shown (too large, unreadable). */
export interface FigureImage {
  path: string;
  version: string;
  dataUrl?: string;
  error?: string;
}

export interface ClassificationRow {
  label: string;
  /** "macro avg", "weighted avg"... rather than a class. */
  average: boolean;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number | null;
}

/** A report file as the runner writes it (mlwb/capture/_sklearn_metrics.py), validated by the host. */
export type RunReport =
  | { kind: 'classification_report'; path: string; dataset: string; estimator: string; rows: ClassificationRow[]; accuracy?: number }
  | { kind: 'confusion_matrix'; path: string; dataset: string; estimator: string; labels: string[]; matrix: number[][]; normalized: boolean }
  | { kind: 'invalid'; path: string; error: string };

export interface LogsView {
  seq: number;
  level?: LogLevel;
  search?: string;
  offset: number;
  total: number;
  logs: LogEntry[];
}

export type ToDashboard =
  /** The whole state, the answer to `ready` (and to an x-axis change). */
  | { type: 'run'; v: typeof DASHBOARD_PROTOCOL; data: DashboardData; series: WireSeries[]; logs: LogsView }
  /** Live: the run's state again, and the series of the metrics that gained points. */
  | { type: 'update'; v: typeof DASHBOARD_PROTOCOL; data: DashboardData; series: WireSeries[]; logs?: LogsView }
  /** Answer to `zoom`: one metric re-downsampled for the visible range. */
  | { type: 'series'; v: typeof DASHBOARD_PROTOCOL; seq: number; series: WireSeries }
  | { type: 'logs'; v: typeof DASHBOARD_PROTOCOL; logs: LogsView }
  /** Images of the figures that are new or changed since the last `figures` message (after `run` and `update`). */
  | { type: 'figures'; v: typeof DASHBOARD_PROTOCOL; figures: FigureImage[] }
  | { type: 'gone'; runId: string }
  | { type: 'error'; message: string };

export type FromDashboard =
  | { type: 'ready'; width: number; xAxis: XAxis }
  /** The x axis changed: every series again, for that axis. */
  | { type: 'axis'; width: number; xAxis: XAxis }
  /** A chart zoomed or panned (range), or was reset (no range). */
  | { type: 'zoom'; seq: number; key: string; width: number; xAxis: XAxis; range?: [number, number] }
  /** A page of logs from `offset`; -1: the latest page, following the run. */
  | { type: 'logs'; seq: number; level?: LogLevel; search?: string; offset: number }
  | { type: 'setTags'; tags: string[] }
  | { type: 'setNotes'; notes: string }
  | { type: 'rename'; name: string }
  | { type: 'openFile'; path: string }
  /** Open another run's dashboard (a nested run's parent or child). */
  | { type: 'openRun'; runId: string }
  | { type: 'revealFile'; path: string }
  /** Compare the executed notebook with the run's source notebook (VS Code's diff editor). */
  | { type: 'compareFile'; path: string }
  | { type: 'exportCsv'; key: string; xAxis: XAxis; range?: [number, number] }
  | { type: 'exportPng'; key: string; dataUrl: string };

const TYPES = ['ready', 'axis', 'zoom', 'logs', 'setTags', 'setNotes', 'rename', 'openFile', 'revealFile', 'compareFile', 'openRun', 'exportCsv', 'exportPng'] as const;

export function parseFromDashboard(raw: unknown): FromDashboard {
  const type = messageType(raw, TYPES);
  switch (type) {
    case 'ready':
    case 'axis':
      return { type, width: width(raw), xAxis: xAxis(raw) };
    case 'zoom': {
      const r = range(raw);
      return { type, seq: int(raw, 'seq'), key: str(raw, 'key', 1000), width: width(raw), xAxis: xAxis(raw), ...(r ? { range: r } : {}) };
    }
    case 'logs': {
      const l = level(raw);
      const search = optStr(raw, 'search', 1000);
      return { type, seq: int(raw, 'seq'), offset: int(raw, 'offset', -1), ...(l ? { level: l } : {}), ...(search ? { search } : {}) };
    }
    case 'setTags':
      return { type, tags: stringList(raw, 'tags') };
    case 'setNotes':
      return { type, notes: str(raw, 'notes', 100_000) };
    case 'rename': {
      const name = str(raw, 'name', 500).trim();
      if (!name) throw new BadMessage('a run name cannot be empty');
      return { type, name };
    }
    case 'openFile':
    case 'revealFile':
    case 'compareFile':
      return { type, path: str(raw, 'path', 4096) };
    case 'openRun':
      return { type, runId: str(raw, 'runId', 200) };
    case 'exportCsv': {
      const r = range(raw);
      return { type, key: str(raw, 'key', 1000), xAxis: xAxis(raw), ...(r ? { range: r } : {}) };
    }
    case 'exportPng':
      return { type, key: str(raw, 'key', 1000), dataUrl: pngDataUrl(raw) };
  }
}

export function isDashboardState(x: unknown): x is DashboardState {
  return typeof x === 'object' && x !== null && typeof (x as DashboardState).runId === 'string';
}
