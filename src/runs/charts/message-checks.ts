/** Field checks for webview messages (untrusted input): each returns the value or throws BadMessage. */
import { BadMessage, isRecord } from '../../platform/webview-contract';
import type { XAxis } from '../../store/query-types';
import type { LogLevel } from '../../store/records';
import { X_AXES } from './series-wire';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export function field(raw: unknown, name: string): unknown {
  return isRecord(raw) ? raw[name] : undefined;
}

export function str(raw: unknown, name: string, max = 10_000): string {
  const v = field(raw, name);
  if (typeof v !== 'string' || v.length > max) throw new BadMessage(`"${name}" must be a string of at most ${max} characters`);
  return v;
}

export function optStr(raw: unknown, name: string, max = 10_000): string | undefined {
  return field(raw, name) === undefined ? undefined : str(raw, name, max);
}

export function int(raw: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = field(raw, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new BadMessage(`"${name}" must be an integer in [${min}, ${max}]`);
  return v;
}

/** A chart's width in CSS pixels (bounded: it decides how many points the host sends). */
export function width(raw: unknown): number {
  return int(raw, 'width', 1, 8192);
}

export function xAxis(raw: unknown): XAxis {
  const v = field(raw, 'xAxis');
  if (!X_AXES.includes(v as XAxis)) throw new BadMessage('"xAxis" must be step, time or relative');
  return v as XAxis;
}

/** An optional zoom range: two finite numbers, from ≤ to. */
export function range(raw: unknown): [number, number] | undefined {
  const v = field(raw, 'range');
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => typeof n === 'number' && Number.isFinite(n)) || v[0] > v[1]) {
    throw new BadMessage('"range" must be [from, to] with finite from ≤ to');
  }
  return [v[0], v[1]];
}

export function level(raw: unknown): LogLevel | undefined {
  const v = field(raw, 'level');
  if (v === undefined) return undefined;
  if (!LEVELS.includes(v as LogLevel)) throw new BadMessage('"level" must be a log level');
  return v as LogLevel;
}

export function stringList(raw: unknown, name: string, maxItems = 100, maxLength = 200): string[] {
  const v = field(raw, name);
  if (!Array.isArray(v) || v.length > maxItems || !v.every((s) => typeof s === 'string' && s.length <= maxLength)) {
    throw new BadMessage(`"${name}" must be a list of at most ${maxItems} strings`);
  }
  return v as string[];
}

/** A PNG as a data URL (what chart.js's toBase64Image gives), at most ~20 MB. */
export function pngDataUrl(raw: unknown): string {
  const v = str(raw, 'dataUrl', 28_000_000);
  if (!/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/.test(v)) throw new BadMessage('"dataUrl" must be a base64 PNG data URL');
  return v;
}
