/** Bounded-memory summaries: distinct values (exact, then HyperLogLog), top values (exact, then Space-Saving), a histogram. */

/** 32-bit MurmurHash3 of a string's UTF-16 code units. */
export function murmur3(s: string, seed = 0x9747b28c): number {
  let h = seed;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = (s.charCodeAt(i) & 0xffff) | ((s.charCodeAt(i + 1) & 0xffff) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = s.charCodeAt(i) & 0xffff;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** HyperLogLog with 2^14 registers (~0.8% standard error), 16 KB. */
export class HyperLogLog {
  private readonly p = 14;
  private readonly m = 1 << 14;
  private readonly registers = new Uint8Array(1 << 14);

  add(value: string): void {
    const h = murmur3(value);
    const idx = h >>> (32 - this.p);
    const w = (h << this.p) | (1 << (this.p - 1)); // guard bit: rank is at most 32 - p + 1
    const rank = Math.clz32(w) + 1;
    if (rank > this.registers[idx]) this.registers[idx] = rank;
  }

  estimate(): number {
    const m = this.m;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      sum += 2 ** -this.registers[i];
      if (this.registers[i] === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros)); // linear counting
    return Math.round(raw);
  }
}

/**
 * Distinct values and their counts: exact while there are at most `cap` distinct values; beyond,
 * the distinct count comes from HyperLogLog and the top values from a batched Space-Saving (at least
 * `keep` counters; counts are upper bounds).
 */
export class ValueCounter {
  private exact: Map<string, number> | undefined = new Map();
  private hll: HyperLogLog | undefined;
  private saving: Map<string, number> | undefined;
  private floor = 0;

  constructor(private readonly cap = 10_000, private readonly keep = 200) {}

  get isExact(): boolean {
    return this.exact !== undefined;
  }

  add(value: string): void {
    const exact = this.exact;
    if (exact) {
      const c = exact.get(value);
      if (c !== undefined) {
        exact.set(value, c + 1);
        return;
      }
      if (exact.size < this.cap) {
        exact.set(value, 1);
        return;
      }
      this.overflow();
    }
    this.hll!.add(value);
    const saving = this.saving!;
    const c = saving.get(value);
    if (c !== undefined) {
      saving.set(value, c + 1);
      return;
    }
    // A new value may have been seen up to `floor` times before (its earlier counts were pruned):
    // counts are upper bounds, as in Space-Saving; pruning in batches keeps this O(1) amortised.
    saving.set(value, this.floor + 1);
    if (saving.size > 4 * this.keep) this.prune();
  }

  private prune(): void {
    const entries = [...this.saving!.entries()].sort((a, b) => b[1] - a[1]);
    this.floor = Math.max(this.floor, entries[this.keep][1]);
    this.saving = new Map(entries.slice(0, this.keep));
  }

  private overflow(): void {
    const exact = this.exact!;
    this.hll = new HyperLogLog();
    for (const k of exact.keys()) this.hll.add(k);
    const sorted = [...exact.entries()].sort((a, b) => b[1] - a[1]);
    this.floor = sorted[this.keep]?.[1] ?? 0;
    this.saving = new Map(sorted.slice(0, this.keep));
    this.exact = undefined;
  }

  distinct(): number {
    return this.exact ? this.exact.size : this.hll!.estimate();
  }

  /** The most frequent values; once estimated, only those clearly above the noise floor (heavy hitters). */
  top(n: number): { value: string; count: number }[] {
    const source = this.exact ?? this.saving!;
    return [...source.entries()]
      .filter(([, count]) => this.exact !== undefined || count > 2 * this.floor)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([value, count]) => ({ value, count }));
  }
}

/**
 * A one-pass histogram with exact counts: a fixed number of equal-width bins that double their width
 * (merging neighbours) whenever a value falls outside; the first value sets the origin, the first
 * `warmup` values the initial width.
 */
export class StreamingHistogram {
  private counts: Float64Array;
  private origin = 0;
  private width = 0;
  private pending: number[] = [];

  constructor(private readonly bins = 64, private readonly warmup = 1000, private readonly integer = false) {
    this.counts = new Float64Array(bins);
  }

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    if (this.width === 0) {
      this.pending.push(x);
      if (this.pending.length >= this.warmup) this.start();
      return;
    }
    this.place(x);
  }

  private start(): void {
    const xs = this.pending;
    this.pending = [];
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of xs) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    let width = (hi - lo) / this.bins;
    if (this.integer) width = Math.max(1, Math.ceil(width * 1.0001));
    else if (!(width > 0)) width = Math.abs(lo) * 1e-6 || 1e-6;
    else width *= 1.0001; // the max falls inside the last bin
    this.width = width;
    this.origin = this.integer ? lo - 0.5 : lo;
    for (const x of xs) this.place(x);
  }

  private place(x: number): void {
    for (;;) {
      const b = Math.floor((x - this.origin) / this.width);
      if (b >= 0 && b < this.bins) {
        this.counts[b]++;
        return;
      }
      this.grow(b < 0);
    }
  }

  /** Doubles the width; growing left moves the origin so the old range becomes the upper half. */
  private grow(left: boolean): void {
    const n = this.bins;
    const next = new Float64Array(n);
    if (left) {
      for (let i = 0; i < n; i++) next[n / 2 + (i >> 1)] += this.counts[i];
      this.origin -= n * this.width;
    } else {
      for (let i = 0; i < n; i++) next[i >> 1] += this.counts[i];
    }
    this.width *= 2;
    this.counts = next;
  }

  /** Non-empty range of bins: edges (length n+1) and counts (length n), merged to at most `maxBins`. */
  result(maxBins = 32): { edges: number[]; counts: number[] } {
    if (this.width === 0 && this.pending.length) this.start();
    if (this.width === 0) return { edges: [], counts: [] };
    let first = 0;
    let last = this.bins - 1;
    while (first < last && this.counts[first] === 0) first++;
    while (last > first && this.counts[last] === 0) last--;
    const span = last - first + 1;
    const group = Math.ceil(span / maxBins);
    const edges: number[] = [];
    const counts: number[] = [];
    for (let i = first; i <= last; i += group) {
      edges.push(this.origin + i * this.width);
      let c = 0;
      for (let j = i; j < i + group && j < this.bins; j++) c += this.counts[j];
      counts.push(c);
    }
    edges.push(this.origin + Math.min(first + counts.length * group, this.bins) * this.width);
    return { edges, counts };
  }
}
