/** One column's statistics, accumulated value by value in one pass. */
import { boolValue, cellKind, type CellKind } from './values';
import { StreamingHistogram, ValueCounter } from './sketches';

export type ColumnType = 'int' | 'float' | 'bool' | 'date' | 'string' | 'mixed' | 'empty';

export interface NumericSummary {
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (ddof=1, as pandas); undefined below two values. */
  std?: number;
  zeros: number;
  histogram: { edges: number[]; counts: number[] };
}

export interface ColumnProfile {
  name: string;
  index: number;
  type: ColumnType;
  /** Non-missing cells of each kind. */
  kinds: Partial<Record<Exclude<CellKind, 'missing'>, number>>;
  count: number;
  missing: number;
  distinct: number;
  /** false: `distinct` is a HyperLogLog estimate (~1%) and top counts are upper bounds. */
  distinctExact: boolean;
  numeric?: NumericSummary;
  /** Dates: the earliest and latest (ISO text). Strings: the shortest and longest length. */
  minText?: string;
  maxText?: string;
  minLength?: number;
  maxLength?: number;
  top: { value: string; count: number }[];
}

export class ColumnAccumulator {
  private kinds = { int: 0, float: 0, bool: 0, date: 0, string: 0 };
  private missing = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private zeros = 0;
  private minText: string | undefined;
  private maxText: string | undefined;
  private minLength = Infinity;
  private maxLength = 0;
  private readonly counter = new ValueCounter();
  private histogram: StreamingHistogram | undefined;
  private early: number[] | undefined = [];

  constructor(readonly name: string, readonly index: number) {}

  add(cell: string): void {
    const kind = cellKind(cell);
    if (kind === 'missing') {
      this.missing++;
      return;
    }
    this.kinds[kind]++;
    if (kind === 'int' || kind === 'float') {
      const x = Number(cell);
      this.addNumber(x);
      this.counter.add(String(x)); // 1 and 1.0 are one value, as in pandas
      return;
    }
    if (kind === 'bool') {
      this.counter.add(boolValue(cell) ? 'True' : 'False');
      return;
    }
    this.counter.add(cell);
    if (kind === 'date') {
      if (this.minText === undefined || cell < this.minText) this.minText = cell;
      if (this.maxText === undefined || cell > this.maxText) this.maxText = cell;
    } else {
      if (cell.length < this.minLength) this.minLength = cell.length;
      if (cell.length > this.maxLength) this.maxLength = cell.length;
    }
  }

  private addNumber(x: number): void {
    // Welford: numerically stable mean and variance in one pass
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x === 0) this.zeros++;
    // The histogram's bin width must know whether the column is integral: decide after a few values.
    if (this.early) {
      this.early.push(x);
      if (this.early.length >= 1000) this.startHistogram();
    } else {
      this.histogram!.add(x);
    }
  }

  private startHistogram(): void {
    const early = this.early ?? [];
    this.early = undefined;
    this.histogram = new StreamingHistogram(64, 1000, this.kinds.float === 0);
    for (const x of early) this.histogram.add(x);
  }

  result(): ColumnProfile {
    const k = this.kinds;
    const count = k.int + k.float + k.bool + k.date + k.string;
    const present = (Object.keys(k) as (keyof typeof k)[]).filter((key) => k[key] > 0);
    const numericOnly = present.every((key) => key === 'int' || key === 'float');
    let type: ColumnType;
    if (count === 0) type = 'empty';
    else if (numericOnly) type = k.float > 0 ? 'float' : 'int';
    else if (present.length === 1) type = present[0];
    else type = 'mixed';
    const profile: ColumnProfile = {
      name: this.name,
      index: this.index,
      type,
      kinds: Object.fromEntries(present.map((key) => [key, k[key]])),
      count,
      missing: this.missing,
      distinct: this.counter.distinct(),
      distinctExact: this.counter.isExact,
      top: this.counter.top(10),
    };
    if (this.n > 0) {
      if (this.early) this.startHistogram();
      profile.numeric = {
        min: this.min,
        max: this.max,
        mean: this.mean,
        std: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : undefined,
        zeros: this.zeros,
        histogram: clampEdges(this.histogram!.result(), this.min, this.max),
      };
    }
    if (this.minText !== undefined) {
      profile.minText = this.minText;
      profile.maxText = this.maxText;
    }
    if (this.maxLength > 0) {
      profile.minLength = this.minLength;
      profile.maxLength = this.maxLength;
    }
    return profile;
  }
}

/** The outer bins' edges stop at the data's min and max (the bins are wider than the data there). */
function clampEdges(h: { edges: number[]; counts: number[] }, min: number, max: number): { edges: number[]; counts: number[] } {
  if (h.edges.length < 2) return h;
  const edges = h.edges.slice();
  edges[0] = Math.max(edges[0], min);
  edges[edges.length - 1] = Math.min(edges[edges.length - 1], max);
  return { edges, counts: h.counts };
}
