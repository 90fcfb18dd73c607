/**
 * A stable colour per run in a comparison: the theme's chart palette in selection order, then a
 * hue from a hash of the run id (so any number of runs works and a run keeps its colour on reload).
 */
export function runColor(index: number, runId: string, palette: readonly string[]): string {
  if (index >= 0 && index < palette.length) return palette[index];
  // Golden-angle steps from a hashed start spread hues evenly however many runs there are.
  const hue = (hashString(runId) % 360 + index * 137.508) % 360;
  return `hsl(${hue.toFixed(1)}, 62%, 58%)`;
}

/** FNV-1a, 32 bit. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
