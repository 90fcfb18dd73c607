/** Metric keys grouped by their prefix ("train/loss" → "train"), in the order a dashboard shows them. */

export interface MetricGroup {
  /** The prefix; "" for keys without one. */
  prefix: string;
  keys: string[];
}

const FIRST = ['', 'train', 'val', 'valid', 'validation', 'eval', 'test'];
const LAST = ['system'];

export function metricPrefix(key: string): string {
  const slash = key.indexOf('/');
  return slash > 0 ? key.slice(0, slash) : '';
}

function rank(prefix: string): number {
  const first = FIRST.indexOf(prefix);
  if (first >= 0) return first;
  return LAST.includes(prefix) ? FIRST.length + 1 : FIRST.length;
}

/** Groups: no prefix, then train/val/eval/test, then the others alphabetically, system/ last. Keys sorted within. */
export function groupMetricKeys(keys: readonly string[]): MetricGroup[] {
  const groups = new Map<string, string[]>();
  for (const key of [...new Set(keys)].sort()) {
    const p = metricPrefix(key);
    const list = groups.get(p) ?? [];
    list.push(key);
    groups.set(p, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([prefix, list]) => ({ prefix, keys: list }));
}
