import type { Database } from 'sql.js';
import { one, parseJson, run } from './sql';

/** run_tags holds the effective tags: the UI's edit if any, else the manifest's. */
export function syncRunTags(db: Database, runId: string): void {
  const row = one(db, 'SELECT manifest_tags, tags_override FROM runs WHERE id = ?', [runId]);
  const tags = parseJson<unknown>(row?.tags_override) ?? parseJson<unknown>(row?.manifest_tags) ?? [];
  run(db, 'DELETE FROM run_tags WHERE run = ?', [runId]);
  // run.json is written by scripts: only its string tags are tags (an array would bind as a BLOB and break every JSON query).
  for (const tag of new Set(Array.isArray(tags) ? tags : [])) if (typeof tag === 'string') run(db, 'INSERT INTO run_tags (run, tag) VALUES (?, ?)', [runId, tag]);
}
