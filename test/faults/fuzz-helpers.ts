/**
 * Seeded generators for the fuzz tests: every failure reproduces from the seed the test prints
 * (MLWB_FUZZ_SEED=<n> replays one). No dependencies: a fuzz run must not need the network.
 */

/** mulberry32: small, fast, good enough to pick mutations. */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** The seed of a test: MLWB_FUZZ_SEED when set (to replay a failure), else a fixed default. */
export function fuzzSeed(fallback: number): number {
  const env = Number(process.env.MLWB_FUZZ_SEED);
  return Number.isInteger(env) ? env : fallback;
}

/** Strings meant to trip validators: paths, prototype keys, control bytes, lone surrogates, long text. */
export const NASTY_STRINGS: readonly string[] = [
  '', ' ', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '../../../etc/passwd', '/etc/passwd',
  'C:\\Windows\\system32', '..\\..\\x', '\u0000', '\ud800', '\ufeff', 'NaN', 'Infinity', '-Infinity', 'null', 'true', '0', '-1',
  '1e309', '<script>alert(1)</script>', '${process.exit()}', '%s%n%x', 'ß\u0301😀', 'a/b/../../c', 'runs/../../x', '\r\n', 'x'.repeat(5000),
];

const NASTY_NUMBERS: readonly number[] = [0, -0, -1, 1, 0.5, -1e-300, 1e308, -1e308, 2 ** 53, -(2 ** 53), 2 ** 31, NaN, Infinity, -Infinity, 3.7];

/** A random JSON-ish value of any type (depth-bounded), with prototype-pollution keys among object keys. */
export function randomValue(r: Prng, depth = 3): unknown {
  const kind = r.int(depth > 0 ? 9 : 6);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick(NASTY_NUMBERS);
    case 3:
      return r.int(1000) - 100;
    case 4:
      return r.pick(NASTY_STRINGS);
    case 5:
      return undefined;
    case 6:
    case 7: {
      const n = r.int(4);
      return Array.from({ length: n }, () => randomValue(r, depth - 1));
    }
    default: {
      const o: Record<string, unknown> = {};
      const n = r.int(4);
      for (let i = 0; i < n; i++) {
        const key = r.chance(0.3) ? r.pick(['__proto__', 'constructor', 'prototype', 'type', 'id', 'v', 't']) : `k${r.int(50)}`;
        // defineProperty: a plain assignment to "__proto__" would set the prototype, not a key (JSON.parse makes a key).
        Object.defineProperty(o, key, { value: randomValue(r, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
  }
}

/**
 * A variant of `valid` with one field replaced, removed or added: wrong types in every field, missing
 * fields, extra fields (including `__proto__`), as an untrusted sender could produce.
 */
export function mutate(r: Prng, valid: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...valid };
  const keys = Object.keys(valid);
  const op = r.int(4);
  if (op === 0 && keys.length) delete out[r.pick(keys)];
  else if (op === 3) Object.defineProperty(out, r.pick(['__proto__', 'constructor', 'extra', 'prototype']), { value: randomValue(r), enumerable: true, writable: true, configurable: true });
  else if (keys.length) {
    const key = r.pick(keys);
    const v = valid[key];
    out[key] = isPlainObject(v) && r.chance(0.5) ? mutate(r, v) : randomValue(r);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every single-field mutation of `valid` to each of the given values: the exhaustive "wrong type in every field". */
export function* everyFieldWrong(valid: Record<string, unknown>, wrong: readonly unknown[] = WRONG_TYPES): Generator<Record<string, unknown>> {
  for (const key of Object.keys(valid)) {
    for (const w of wrong) yield { ...valid, [key]: w };
    const { [key]: _dropped, ...rest } = valid;
    yield rest;
  }
}

/** One value of each JSON type (plus the special strings) that a field might wrongly hold. */
export const WRONG_TYPES: readonly unknown[] = [null, true, 0, -1, 1.5, 1e308, '', 'x', 'NaN', [], [1, 'a'], {}, { a: 1 }, '__proto__'];
