import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inStore, type StoreLayout } from './paths';
import { REGISTRY_LOCK } from './registry-names';

/**
 * `registry/.lock`: created with O_EXCL by whoever changes the registry (any window, any process), held
 * for milliseconds — read the registry journal, decide, append, rename a directory; file copies happen
 * before, deletions of bytes after. It makes version numbers, "which version did this promotion
 * archive" and alias moves exact. It is not what keeps the registry consistent: ingestion is
 * deterministic whatever the interleaving (see RegistryEvent), the lock only makes the answers exact.
 *
 * A lock is stale when its holder is a dead process on this host, or when it is older than `staleMs`
 * (a holder on another machine that died); a stale lock is removed and the acquisition retried.
 */
export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  nonce: string;
  ts: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_STALE_MS = 30_000;
/** An empty lock file is a holder between open() and write(): stale only after this. */
const EMPTY_GRACE_MS = 2_000;

export async function withRegistryLock<T>(layout: StoreLayout, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const file = inStore(layout, REGISTRY_LOCK);
  const me: Holder = { pid: process.pid, host: os.hostname(), nonce: randomBytes(8).toString('hex'), ts: Date.now() };
  await acquire(file, me, opts);
  try {
    return await fn();
  } finally {
    release(file, me);
  }
}

async function acquire(file: string, me: Holder, opts: LockOptions): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify({ ...me, ts: Date.now() }));
      } finally {
        fs.closeSync(fd);
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = readLock(file);
    if (seen === undefined) continue; // released meanwhile
    if (isStale(seen, opts.staleMs ?? DEFAULT_STALE_MS)) {
      removeIf(file, seen.text);
      continue;
    }
    if (Date.now() > deadline) {
      const h = seen.holder;
      const who = h ? `process ${h.pid} on ${h.host} since ${new Date(h.ts).toISOString()}` : 'another process';
      throw new Error(`the model registry is busy (${file} is held by ${who}); try again`);
    }
    await new Promise((r) => setTimeout(r, Math.min(50, 2 + attempt * 2) * (0.5 + Math.random())));
  }
}

interface Seen {
  text: string;
  mtimeMs: number;
  holder?: Holder;
}

function readLock(file: string): Seen | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const mtimeMs = fs.statSync(file).mtimeMs;
    let holder: Holder | undefined;
    try {
      const h = JSON.parse(text) as Holder;
      if (typeof h?.pid === 'number' && typeof h.host === 'string' && typeof h.nonce === 'string') holder = h;
    } catch {
      holder = undefined;
    }
    return { text, mtimeMs, holder };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isStale(seen: Seen, staleMs: number): boolean {
  const age = Date.now() - seen.mtimeMs;
  if (!seen.holder) return age > EMPTY_GRACE_MS;
  if (age > staleMs) return true;
  return seen.holder.host === os.hostname() && !processAlive(seen.holder.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the lock only if it is still the one we looked at (a narrow race remains: see above). */
function removeIf(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function release(file: string, me: Holder): void {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
    if (h.nonce === me.nonce) fs.unlinkSync(file);
  } catch {
    // Gone or taken over as stale: nothing of ours to remove.
  }
}
