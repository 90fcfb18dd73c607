/** One bench figure: a value and the baseline measured in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
  /** value / baseline */
  ratio: number;
}

export function figure(name: string, value: number, unit: string, baseline: number, baselineName: string): Figure {
  return { name, value, unit, baseline, baselineName, ratio: value / baseline };
}

/** Best (lowest) of `repeats` timings of `fn`, in ms: the least noisy estimate on a busy machine. */
export async function bestOf(repeats: number, fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}
