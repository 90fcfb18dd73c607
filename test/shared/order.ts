// The order a test layer runs its files in: sorted, or shuffled by MLWB_TEST_SHUFFLE=<seed> (any text;
// `random` picks one) so that a journey leaning on what an earlier one left behind shows up. The seed is
// printed: the same seed gives the same order again.
import { basename } from 'node:path';

export function orderFiles(files: string[], layer: string, seed = process.env.MLWB_TEST_SHUFFLE): string[] {
  const order = [...files].sort();
  if (!seed) return order;
  const used = seed === 'random' ? String(Math.floor(Math.random() * 1_000_000)) : seed;
  const random = prng(used);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  console.log(`${layer}: files shuffled with MLWB_TEST_SHUFFLE=${used}: ${order.map((f) => basename(f).replace(/\.test\.js$/, '')).join(', ')}`);
  return order;
}

/** mulberry32, seeded with a string's FNV-1a hash: small, fast and the same on every machine. */
function prng(seed: string): () => number {
  let h = 0x811c9dc5;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
