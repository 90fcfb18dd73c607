import * as fs from 'node:fs';
import type { Database } from 'sql.js';
import { EDITS_JOURNAL, EXPERIMENTS_JOURNAL, inStore, isSafeRunId, RUNS_DIR, runJournalPath, runManifestPath, type StoreLayout } from './paths';
import { REGISTRY_JOURNAL } from './registry-names';
import { all } from './sql';

/**
 * Whether a refresh would find anything new, in a few `stat` calls: cheap enough to poll every second.
 * File watchers are not enough: recursive watching misses files in directories created a moment
 * before (measured with VS Code's own watcher on Linux), network drives send no events, and a store
 * shared with a cluster is written by other machines.
 *
 * It compares with what the last pass saw when it began (not with what it ingested), so a torn last
 * line or an unreadable run.json does not ask for a pass every second.
 */
export class ChangeProbe {
  private runsDirStamp = 0;
  /** Store-relative file -> size or mtime stamp at the last pass. */
  private stamps = new Map<string, number>();

  constructor(private readonly layout: StoreLayout) {}

  /** Called as a pass over the journals begins. */
  prime(db: Database): void {
    const runsDir = inStore(this.layout, RUNS_DIR);
    this.runsDirStamp = mtime(runsDir);
    const known = new Set(all(db, 'SELECT id FROM runs WHERE has_manifest = 1').map((r) => String(r.id)));
    const running = all(db, "SELECT id FROM runs WHERE status = 'running' AND has_manifest = 1").map((r) => String(r.id));
    // Runs just starting: a directory the index has no run.json of yet.
    const starting = (fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []).filter((id) => isSafeRunId(id) && !known.has(id));
    const watched = [EXPERIMENTS_JOURNAL, EDITS_JOURNAL, REGISTRY_JOURNAL, ...[...running, ...starting].map(runJournalPath), ...starting.map(runManifestPath)];
    this.stamps = new Map(watched.map((rel) => [rel, this.stamp(rel)]));
  }

  /** After a pass that failed: what it saw was not ingested, so the next check must say "changed". */
  invalidate(): void {
    this.runsDirStamp = Number.NaN;
  }

  check(): boolean {
    if (mtime(inStore(this.layout, RUNS_DIR)) !== this.runsDirStamp) return true;
    for (const [rel, stamp] of this.stamps) if (this.stamp(rel) !== stamp) return true;
    return false;
  }

  /** Journals grow (size); run.json is replaced whole (mtime). */
  private stamp(rel: string): number {
    const st = fs.statSync(inStore(this.layout, rel), { throwIfNoEntry: false });
    if (!st) return -1;
    return rel.endsWith('.json') ? st.mtimeMs : st.size;
  }
}

function mtime(path: string): number {
  return fs.statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
}
