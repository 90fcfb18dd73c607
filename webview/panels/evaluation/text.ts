export const num = (v: number | undefined, digits = 4): string => (v === undefined ? '—' : Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v));

/** "+0.0123" / "−0.0123" for deltas. */
export const signed = (v: number | undefined): string => (v === undefined ? '—' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${num(Math.abs(v))}`);
