import * as fs from 'node:fs';
import { syncRunTags } from './run-tags';
import type { Database } from 'sql.js';
import { applyRunEdit } from './ingest-edits';
import { applyRegistryEvent } from './ingest-registry';
import { applyExperimentEvent } from './ingest-experiments';
import { ingestJournal, isEnvironmentFault, journalSize, recordFault, report, type JournalContext, type JournalRecord } from './ingest-journal';
import { applyManifest, applyRunEvent, touchRun } from './ingest-run';
import { resetTuning } from './ingest-tuning';
import { EDITS_JOURNAL, EXPERIMENTS_JOURNAL, inStore, isSafeRunId, RUNS_DIR, runJournalPath, runManifestPath, type StoreLayout } from './paths';
import { RecordError, type IngestProblem } from './problems';
import { JOURNAL_VERSION, type ExperimentEvent, type RegistryEvent, type RunEdit, type RunEvent, type RunManifest } from './records';
import { REGISTRY_JOURNAL } from './registry-names';
import { SeriesGapError, type SeriesWriter } from './series';
import { all, one, run, str, transaction } from './sql';

export interface IngestContext {
  db: Database;
  layout: StoreLayout;
  series: SeriesWriter;
  chunkBytes?: number;
}

/** What one pass over the journals changed. */
export interface IngestResult {
  runs: string[];
  experiments: string[];
  /** Registered models whose registry records were applied. */
  models: string[];
  problems: IngestProblem[];
}

/**
 * Why the index cannot be brought up to date by reading on from its offsets (a journal is shorter than
 * what was read of it, a run directory is gone), or undefined when it can.
 */
export function staleness(db: Database, layout: StoreLayout): string | undefined {
  for (const row of all(db, 'SELECT path, offset FROM journal_offsets')) {
    const size = journalSize(layout, String(row.path));
    if (size === undefined) return `${row.path} is gone`;
    if (size < Number(row.offset)) return `${row.path} is shorter than the index has read`;
  }
  for (const row of all(db, 'SELECT id FROM runs WHERE has_manifest = 1')) {
    const id = String(row.id);
    if (!isSafeRunId(id) || journalSize(layout, runManifestPath(id)) === undefined) return `run ${id} is gone`;
  }
  if (one(db, 'SELECT 1 AS x FROM metric_summaries LIMIT 1') && !fs.existsSync(layout.seriesDir)) return 'the series cache is gone';
  return undefined;
}

/** One incremental pass: runs first, then experiment events and run edits (which may refer to them), then the registry. */
export async function ingestStore(ctx: IngestContext): Promise<IngestResult> {
  const jctx: JournalContext = { db: ctx.db, layout: ctx.layout, chunkBytes: ctx.chunkBytes, problems: [] };
  const runs = new Set<string>();
  const experiments = new Set<string>();
  for (const id of listRunDirs(jctx)) {
    if (await ingestRun(ctx, jctx, id)) runs.add(id);
    // A turn of the event loop between runs: the views and panels stay responsive through a long first pass
    // (a small journal is read synchronously, so reading it no longer yields by itself).
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (const id of runs) {
    const exp = str(one(ctx.db, 'SELECT experiment FROM runs WHERE id = ?', [id])?.experiment);
    if (exp) experiments.add(exp);
  }
  await ingestJournal(jctx, EXPERIMENTS_JOURNAL, {
    apply: (r) => {
      const known = applyExperimentEvent(ctx.db, r as unknown as ExperimentEvent);
      if (known) experiments.add(String(r.id));
      return known;
    },
  });
  await ingestJournal(jctx, EDITS_JOURNAL, {
    apply: (r) => {
      const known = applyRunEdit(ctx.db, r as unknown as RunEdit);
      if (known) runs.add(String(r.run));
      return known;
    },
  });
  const models = await ingestRegistry(jctx);
  return { runs: [...runs], experiments: [...experiments], models, problems: jctx.problems };
}

/**
 * The registry journal alone (registry changes read it under the lock before deciding); returns the
 * models it touched. Its records carry what they need (metrics snapshots): no order with the runs.
 */
export async function ingestRegistry(jctx: JournalContext): Promise<string[]> {
  const models = new Set<string>();
  await ingestJournal(jctx, REGISTRY_JOURNAL, {
    apply: (r) => {
      const known = applyRegistryEvent(jctx.db, jctx.layout, r as unknown as RegistryEvent);
      if (known) models.add(String(r.model));
      return known;
    },
  });
  return [...models];
}

function listRunDirs(jctx: JournalContext): string[] {
  const dir = inStore(jctx.layout, RUNS_DIR);
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true, encoding: 'utf8' }) : [];
  const ids: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    if (isSafeRunId(e.name)) ids.push(e.name);
    else report(jctx, { file: `${RUNS_DIR}/${e.name}`, reason: 'run directory name is not a valid run id: ignored' });
  }
  return ids.sort();
}

/** Returns whether anything of the run changed. */
async function ingestRun(ctx: IngestContext, jctx: JournalContext, id: string): Promise<boolean> {
  const known = one(ctx.db, 'SELECT has_manifest FROM runs WHERE id = ?', [id])?.has_manifest === 1;
  const manifestRead = !known && readManifest(ctx, jctx, id);
  if (!known && !manifestRead) return false;
  try {
    return (await ingestEvents(ctx, jctx, id)) > 0 || manifestRead;
  } catch (err) {
    if (!(err instanceof SeriesGapError)) throw err;
    ctx.series.discard(id);
    resetRun(ctx.db, id);
    await ingestEvents(ctx, jctx, id);
    return true;
  }
}

function ingestEvents(ctx: IngestContext, jctx: JournalContext, id: string): Promise<number> {
  return ingestJournal(jctx, runJournalPath(id), {
    apply: (r: JournalRecord) => applyRunEvent(ctx.db, id, r as unknown as RunEvent, ctx.series),
    endChunk: (latestTs) => {
      ctx.series.flush();
      if (latestTs !== undefined) touchRun(ctx.db, id, latestTs);
    },
  });
}

/** run.json is written once at start; missing means the run is just starting (try again next pass). */
function readManifest(ctx: IngestContext, jctx: JournalContext, id: string): boolean {
  const rel = runManifestPath(id);
  let text: string;
  try {
    text = fs.readFileSync(inStore(ctx.layout, rel), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const m = JSON.parse(text) as RunManifest | null;
    if (typeof m !== 'object' || m === null) throw new RecordError('run.json is not an object');
    if (typeof m.v === 'number' && m.v > JOURNAL_VERSION) throw new RecordError(`run.json version ${m.v} is newer than ${JOURNAL_VERSION}: skipped (update the extension)`);
    transaction(ctx.db, () => applyManifest(ctx.db, id, m));
    return true;
  } catch (err) {
    if (isEnvironmentFault(err)) throw err;
    report(jctx, { file: rel, reason: err instanceof SyntaxError ? `malformed run.json: ${err.message}` : recordFault(err) });
    return false;
  }
}

/** Forgets what was ingested from a run's journal (not its UI edits) so it is read again from byte 0. */
function resetRun(db: Database, id: string): void {
  transaction(db, () => {
    for (const table of ['params', 'metric_summaries', 'logs', 'files']) run(db, `DELETE FROM ${table} WHERE run = ?`, [id]);
    resetTuning(db, id);
    run(
      db,
      `UPDATE runs SET status = 'running', ended = NULL, duration = NULL, error = NULL, traceback = NULL, exit_code = NULL,
         started = NULL, scheduler = NULL, job_id = NULL, job_state = NULL, job_reason = NULL, job_node = NULL, job_output = NULL,
         script_tags = NULL WHERE id = ?`,
      [id],
    );
    run(db, 'DELETE FROM journal_offsets WHERE path = ?', [runJournalPath(id)]);
    syncRunTags(db, id);
  });
}
