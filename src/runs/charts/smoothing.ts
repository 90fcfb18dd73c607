/**
 * Exponential moving average as TensorBoard draws it: debiased (the first points are not pulled
 * towards 0), non-finite values are passed through and do not poison what follows.
 * weight 0 returns the values unchanged; weight is clamped to [0, 0.999].
 */
export function ema(values: readonly number[], weight: number): number[] {
  const w = Math.min(0.999, Math.max(0, weight));
  if (w === 0) return [...values];
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}
