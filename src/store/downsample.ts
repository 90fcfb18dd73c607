/**
 * Min/max-preserving downsampling (M4): the x range is cut into `width` buckets and each keeps its
 * first, min, max and last points (plus its first non-finite y, if any), in x order. Spikes survive
 * any zoom level; the line's shape is exact at the pixel level. O(n), no allocation per point.
 *
 * Returns indices into x/y. When the range holds at most 4 points per bucket, every point is kept.
 */
export function downsampleIndices(x: ArrayLike<number>, y: ArrayLike<number>, width: number, range?: readonly [number, number]): number[] {
  const n = x.length;
  let lo = range ? range[0] : Infinity;
  let hi = range ? range[1] : -Infinity;
  if (!range) {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(lo <= hi)) return [];
  const buckets = Math.max(1, Math.floor(width));
  const first = new Int32Array(buckets).fill(-1);
  const last = new Int32Array(buckets).fill(-1);
  const lowest = new Int32Array(buckets).fill(-1);
  const highest = new Int32Array(buckets).fill(-1);
  const nonFinite = new Int32Array(buckets).fill(-1);
  const scale = hi > lo ? buckets / (hi - lo) : 0;
  let inRange = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (!(xi >= lo && xi <= hi)) continue;
    inRange++;
    const b = Math.min(buckets - 1, Math.floor((xi - lo) * scale));
    if (first[b] < 0) first[b] = i;
    last[b] = i;
    const yi = y[i];
    if (Number.isFinite(yi)) {
      if (lowest[b] < 0 || yi < y[lowest[b]]) lowest[b] = i;
      if (highest[b] < 0 || yi > y[highest[b]]) highest[b] = i;
    } else if (nonFinite[b] < 0) {
      nonFinite[b] = i;
    }
  }
  if (inRange <= buckets * 4) return allInRange(x, lo, hi, inRange);
  const out: number[] = [];
  const byX = (a: number, b: number) => x[a] - x[b] || a - b;
  for (let b = 0; b < buckets; b++) {
    if (first[b] < 0) continue;
    const picked = [...new Set([first[b], lowest[b], highest[b], last[b], nonFinite[b]])].filter((i) => i >= 0).sort(byX);
    for (const i of picked) out.push(i);
  }
  return out;
}

function allInRange(x: ArrayLike<number>, lo: number, hi: number, count: number): number[] {
  const out = new Array<number>(count);
  let k = 0;
  for (let i = 0; i < x.length; i++) if (x[i] >= lo && x[i] <= hi) out[k++] = i;
  return out;
}
