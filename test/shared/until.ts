// The one polling wait of the TypeScript test layers (unit, faults, vscode, ui): wait on a condition, never
// for a fixed time, and when it does not come say what was seen instead.

/** Anything that says what a wait kept finding (a status, the rows of a view...), shown in its timeout error. */
export type Seen = () => unknown;

/**
 * Polls `probe` until it gives a value (anything but undefined or false) and returns it. On timeout the error
 * names `what` and shows what `seen` reports.
 */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  opts: { timeout?: number; seen?: Seen; interval?: number } = {},
): Promise<T> {
  const timeout = opts.timeout ?? 15_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const seen = opts.seen ? `; it showed: ${show(await Promise.resolve().then(opts.seen).catch((e: Error) => `(${e.message})`))}` : '';
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, opts.interval ?? 50));
  }
}

/** A value as a failure message shows it: text as is, anything else as (shortened) JSON. */
export function show(value: unknown): string {
  return (typeof value === 'string' ? value : JSON.stringify(value))?.slice(0, 3000) ?? String(value);
}
