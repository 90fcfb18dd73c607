/**
 * `python -m mlwb serve` and `predict` print JSON event lines on stdout (logs go to stderr). Parsing
 * them, validated: a malformed or foreign line is ignored, never trusted. No `vscode` here.
 */
import type { ChildProcess } from 'node:child_process';
import type { ServeReadyParams } from '../runner/protocol';

export type ServeReady = ServeReadyParams;

/** The server's last line: `stopped` (asked to) or `error` (it failed; exit code 1 or 2). */
export interface ServeEnd {
  event: 'stopped' | 'error';
  reason?: string;
  exitCode: number;
  error?: string;
  requests?: number;
}

export type ServeLine = ServeReady | ServeEnd;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function parseServeLine(line: string): ServeLine | undefined {
  const o = parseObject(line);
  if (!o) return undefined;
  if (o.event === 'ready') return readyOf(o);
  if (o.event === 'stopped' || o.event === 'error') {
    return {
      event: o.event,
      reason: typeof o.reason === 'string' ? o.reason : undefined,
      exitCode: typeof o.exitCode === 'number' ? o.exitCode : o.event === 'error' ? 1 : 0,
      error: typeof o.error === 'string' ? o.error : undefined,
      requests: typeof o.requests === 'number' ? o.requests : undefined,
    };
  }
  return undefined;
}

/** A ready event (stdout line or `serve/ready` params): url, port and pid must be there. */
export function readyOf(o: unknown): ServeReady | undefined {
  if (!isRecord(o) || o.event !== 'ready') return undefined;
  if (typeof o.url !== 'string' || !/^http:\/\//.test(o.url) || typeof o.port !== 'number' || typeof o.pid !== 'number') return undefined;
  const str = (k: string, d = '') => (typeof o[k] === 'string' ? (o[k] as string) : d);
  return {
    event: 'ready',
    url: o.url,
    host: str('host', '127.0.0.1'),
    port: o.port,
    pid: o.pid,
    name: str('name'),
    version: typeof o.version === 'string' ? o.version : typeof o.version === 'number' ? String(o.version) : null,
    model: str('model'),
    format: str('format'),
    modelClass: str('modelClass'),
    nFeatures: typeof o.nFeatures === 'number' ? o.nFeatures : null,
    sha256: str('sha256'),
    tokenRequired: o.tokenRequired === true,
    maxBatch: typeof o.maxBatch === 'number' ? o.maxBatch : undefined,
    maxWaitMs: typeof o.maxWaitMs === 'number' ? o.maxWaitMs : undefined,
    maxBodyBytes: typeof o.maxBodyBytes === 'number' ? o.maxBodyBytes : undefined,
  };
}

/** The predict command's last stdout line. */
export interface PredictResult {
  status: 'done' | 'cancelled' | 'error';
  rows: number;
  input?: string;
  output: string | null;
  durationMs?: number;
  peakRssBytes?: number | null;
  exitCode: number;
  error?: string;
  message?: string;
  ignoredColumns?: string[];
  missingFeatures?: string[];
}

export function parsePredictLine(line: string): PredictResult | undefined {
  const o = parseObject(line);
  if (!o || (o.event !== 'done' && o.event !== 'cancelled' && o.event !== 'error')) return undefined;
  return {
    status: o.event,
    rows: typeof o.rows === 'number' ? o.rows : 0,
    input: typeof o.input === 'string' ? o.input : undefined,
    output: typeof o.output === 'string' ? o.output : null,
    durationMs: typeof o.durationMs === 'number' ? o.durationMs : undefined,
    peakRssBytes: typeof o.peakRssBytes === 'number' ? o.peakRssBytes : null,
    exitCode: typeof o.exitCode === 'number' ? o.exitCode : o.event === 'done' ? 0 : 1,
    error: typeof o.error === 'string' ? o.error : undefined,
    message: typeof o.message === 'string' ? o.message : undefined,
    ignoredColumns: Array.isArray(o.ignoredColumns) ? o.ignoredColumns.filter((c): c is string => typeof c === 'string') : undefined,
    missingFeatures: Array.isArray(o.missing_features) ? o.missing_features.filter((c): c is string => typeof c === 'string') : undefined,
  };
}

function parseObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const o: unknown = JSON.parse(text);
    return isRecord(o) ? o : undefined;
  } catch {
    return undefined;
  }
}

/** Splits a stream's chunks into whole lines (a torn last line waits for the next chunk). */
export class LineSplitter {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.rest + chunk).split(/\r?\n/);
    this.rest = parts.pop() ?? '';
    for (const p of parts) if (p !== '') this.onLine(p);
  }

  end(): void {
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }
}

export interface ChildOutput {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Receives stderr's last `tailSize` lines (for the reason a process ended). */
  tail: string[];
  tailSize: number;
  /** Once: the process exited (or could not start: the reason is then a stderr line). */
  end(code: number | null, signal: NodeJS.Signals | null): void;
}

/** A runner child's stdout and stderr as lines, and its one end. */
export function followOutput(child: ChildProcess, o: ChildOutput): void {
  const out = new LineSplitter((line) => o.stdout(line));
  const err = new LineSplitter((line) => {
    o.tail.push(line);
    if (o.tail.length > o.tailSize) o.tail.shift();
    o.stderr(line);
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => out.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => err.push(d));
  child.on('error', (e) => {
    err.push(`could not start: ${e.message}\n`);
    o.end(null, null);
  });
  child.on('close', (code, signal) => {
    out.end();
    err.end();
    o.end(code, signal);
  });
}
