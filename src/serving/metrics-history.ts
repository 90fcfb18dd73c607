/**
 * The server's /metrics snapshots, polled by the host, turned into chart series: latency percentiles
 * (the server's, since it started), the mean latency of each polling interval, and request / row
 * throughput from counter deltas. No `vscode` here.
 */

export interface LatencySummary {
  count: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface MetricsSnapshot {
  uptimeS: number;
  requests: number;
  errors: number;
  errorsByStatus: Record<string, number>;
  requestsByPath: Record<string, number>;
  predictions: number;
  latency: LatencySummary;
  inFlight: number;
  connections: number;
  batches: number;
  meanBatchRows: number | null;
  maxBatchRows: number;
}

export interface MetricsPoint {
  /** Epoch seconds. */
  t: number;
  /** The server's uptime (s): the charts' x axis. */
  uptimeS: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Mean latency of the /invocations answered during the interval (null: none). */
  mean: number | null;
  /** /invocations per second over the interval. */
  rps: number;
  /** Rows predicted per second over the interval. */
  rowsPerS: number;
  /** Error answers (any status >= 400) per second over the interval. */
  errorsPerS: number;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const counts = (x: unknown): Record<string, number> =>
  isRecord(x) ? Object.fromEntries(Object.entries(x).filter((e): e is [string, number] => typeof e[1] === 'number')) : {};

/** The JSON of GET /metrics, validated (undefined: not a metrics object). */
export function parseMetrics(raw: unknown): MetricsSnapshot | undefined {
  if (!isRecord(raw) || typeof raw.requests !== 'number' || !isRecord(raw.latency_ms)) return undefined;
  const l = raw.latency_ms;
  const b = isRecord(raw.batching) ? raw.batching : {};
  return {
    uptimeS: num(raw.uptime_s) ?? 0,
    requests: raw.requests,
    errors: num(raw.errors) ?? 0,
    errorsByStatus: counts(raw.errors_by_status),
    requestsByPath: counts(raw.requests_by_path),
    predictions: num(raw.predictions) ?? 0,
    latency: { count: num(l.count) ?? 0, mean: num(l.mean), p50: num(l.p50), p95: num(l.p95), p99: num(l.p99), max: num(l.max) },
    inFlight: num(raw.in_flight) ?? 0,
    connections: num(raw.connections) ?? 0,
    batches: num(b.batches) ?? 0,
    meanBatchRows: num(b.mean_rows),
    maxBatchRows: num(b.max_rows) ?? 0,
  };
}

const invocations = (s: MetricsSnapshot) => s.requestsByPath['/invocations'] ?? 0;

export class MetricsHistory {
  readonly points: MetricsPoint[] = [];
  latest: MetricsSnapshot | undefined;
  private previous: { s: MetricsSnapshot; t: number } | undefined;

  constructor(private readonly max = 300) {}

  /** Adds a snapshot taken at `tMs` (epoch ms); returns the new point (none for the first snapshot). */
  add(s: MetricsSnapshot, tMs: number): MetricsPoint | undefined {
    const prev = this.previous;
    this.latest = s;
    this.previous = { s, t: tMs };
    // A restarted server starts its counters again: start the deltas again too.
    if (!prev || s.requests < prev.s.requests || s.uptimeS < prev.s.uptimeS) return undefined;
    const dt = (tMs - prev.t) / 1000;
    if (dt <= 0) return undefined;
    const n = s.latency.count - prev.s.latency.count;
    const total = (x: MetricsSnapshot) => (x.latency.mean ?? 0) * x.latency.count;
    const point: MetricsPoint = {
      t: tMs / 1000,
      uptimeS: s.uptimeS,
      p50: s.latency.p50,
      p95: s.latency.p95,
      p99: s.latency.p99,
      mean: n > 0 ? Math.max(0, (total(s) - total(prev.s)) / n) : null,
      rps: Math.max(0, invocations(s) - invocations(prev.s)) / dt,
      rowsPerS: Math.max(0, s.predictions - prev.s.predictions) / dt,
      errorsPerS: Math.max(0, s.errors - prev.s.errors) / dt,
    };
    this.points.push(point);
    if (this.points.length > this.max) this.points.splice(0, this.points.length - this.max);
    return point;
  }

  clear(): void {
    this.points.length = 0;
    this.latest = undefined;
    this.previous = undefined;
  }
}

export interface ChartSeries {
  id: string;
  label: string;
  /** The server's uptime, seconds. */
  x: number[];
  /** null: no value at that time (a gap in the line). */
  y: (number | null)[];
}

/** The panel's two charts: latency (p50, p95, p99, interval mean; ms) and throughput (req/s, rows/s). */
export function chartSeries(points: readonly MetricsPoint[]): { latency: ChartSeries[]; throughput: ChartSeries[] } {
  const x = points.map((p) => p.uptimeS);
  const line = (id: string, label: string, pick: (p: MetricsPoint) => number | null): ChartSeries => ({ id, label, x, y: points.map(pick) });
  return {
    latency: [
      line('p50', 'p50 (ms)', (p) => p.p50),
      line('p95', 'p95 (ms)', (p) => p.p95),
      line('p99', 'p99 (ms)', (p) => p.p99),
      line('mean', 'interval mean (ms)', (p) => p.mean),
    ],
    throughput: [
      line('rps', 'requests/s', (p) => round(p.rps)),
      line('rows', 'rows/s', (p) => round(p.rowsPerS)),
      line('errors', 'errors/s', (p) => round(p.errorsPerS)),
    ],
  };
}

const round = (v: number) => Math.round(v * 1000) / 1000;
