import type { Database } from 'sql.js';
import { one, parseJson, run } from './sql';

/** A script tag as the Runs view shows it: `key`, or `key=value` (long values cut). */
export const TAG_VALUE_SHOWN = 100;

export function scriptTagLabel(key: string, value: string): string {
  if (value === '') return key;
  return `${key}=${value.length > TAG_VALUE_SHOWN ? `${value.slice(0, TAG_VALUE_SHOWN)}…` : value}`;
}

/**
 * run_tags holds the effective tags: the UI's edit if any, else the manifest's and those the script set while it ran
 * (tags records).
 */
export function syncRunTags(db: Database, runId: string): void {
  const row = one(db, 'SELECT manifest_tags, tags_override, script_tags FROM runs WHERE id = ?', [runId]);
  const override = parseJson<unknown>(row?.tags_override);
  let tags: unknown[];
  if (override !== undefined) {
    tags = Array.isArray(override) ? override : [];
  } else {
    const manifest = parseJson<unknown>(row?.manifest_tags);
    const script = parseJson<Record<string, unknown>>(row?.script_tags) ?? {};
    tags = [
      ...(Array.isArray(manifest) ? manifest : []),
      ...Object.entries(script).flatMap(([k, v]) => (typeof v === 'string' ? [scriptTagLabel(k, v)] : [])),
    ];
  }
  run(db, 'DELETE FROM run_tags WHERE run = ?', [runId]);
  // run.json is written by scripts: only its string tags are tags (an array would bind as a BLOB and break every JSON query).
  for (const tag of new Set(tags)) if (typeof tag === 'string') run(db, 'INSERT INTO run_tags (run, tag) VALUES (?, ?)', [runId, tag]);
}
