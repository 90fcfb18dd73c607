/**
 * What every panel contract shares. A panel's own contract file (imported by both the host and the
 * webview) lists its messages; messages from a webview are untrusted and validated before use.
 */
export type Ready = { type: 'ready' };

export class BadMessage extends Error {}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Checks `raw` is `{ type: one of types, ... }` and returns its type; throws BadMessage otherwise. */
export function messageType<T extends string>(raw: unknown, types: readonly T[]): T {
  if (!isRecord(raw) || typeof raw.type !== 'string') throw new BadMessage('message is not an object with a string "type"');
  if (!(types as readonly string[]).includes(raw.type)) throw new BadMessage(`unknown message type "${raw.type.slice(0, 40)}"`);
  return raw.type as T;
}
