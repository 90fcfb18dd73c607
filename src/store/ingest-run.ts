import type { Database } from 'sql.js';
import type { ExperimentRef, JsonNumber, LogLevel, ProcessRecord, RunEvent, RunManifest, SchedulerRecord } from './records';
import { isSafeRunFilePath } from './paths';
import { RecordError } from './problems';
import { applyTuningComplete, applyTuningSession, applyTuningTrial } from './ingest-tuning';
import { syncRunTags } from './run-tags';
import type { SeriesColumns, SeriesWriter } from './series';
import { json, one, run } from './sql';

/** run.json: identity of the run, and the experiment it implies. */
export function applyManifest(db: Database, runId: string, m: RunManifest): void {
  const exp = m.experiment;
  if (typeof exp?.id !== 'string' || exp.id === '' || typeof m.created !== 'number') throw new RecordError('run.json lacks experiment.id or created');
  upsertExperiment(db, exp, m.created);
  run(
    db,
    `INSERT INTO runs (id, has_manifest, experiment, manifest_name, created, script, argv, cwd, git, python, metadata, host, pid, manifest_tags, last_activity, parent)
     VALUES ($id, 1, $exp, $name, $created, $script, $argv, $cwd, $git, $python, $metadata, $host, $pid, $tags, $created, $parent)
     ON CONFLICT (id) DO UPDATE SET
       has_manifest = 1, experiment = excluded.experiment, manifest_name = excluded.manifest_name, created = excluded.created,
       script = excluded.script, argv = excluded.argv, cwd = excluded.cwd, git = excluded.git, python = excluded.python,
       metadata = excluded.metadata, host = excluded.host, pid = excluded.pid, manifest_tags = excluded.manifest_tags, parent = excluded.parent,
       last_activity = MAX(COALESCE(last_activity, 0), excluded.last_activity)`,
    {
      $id: runId, $exp: exp.id, $name: strOrNull(m.name) || runId, $created: m.created, $script: json(m.script), $argv: json(m.argv), $cwd: strOrNull(m.cwd),
      $git: json(m.git), $python: json(m.python), $metadata: json(m.metadata), $host: strOrNull(m.host),
      $pid: typeof m.pid === 'number' ? m.pid : null, $tags: json(m.tags),
      $parent: typeof m.parent === 'string' && m.parent !== '' && m.parent !== runId ? m.parent : null,
    },
  );
  syncRunTags(db, runId);
}

function upsertExperiment(db: Database, exp: ExperimentRef, created: number): void {
  run(
    db,
    `INSERT INTO experiments (id, name, owner, project, folder, description, tags, created, updated)
     VALUES ($id, $name, $owner, $project, $folder, $readme, $tags, $created, $created)
     ON CONFLICT (id) DO UPDATE SET
       created = MIN(COALESCE(created, excluded.created), excluded.created),
       updated = MAX(COALESCE(updated, excluded.updated), excluded.updated),
       owner = COALESCE(owner, excluded.owner), project = COALESCE(project, excluded.project),
       folder = COALESCE(folder, excluded.folder), description = COALESCE(description, excluded.description),
       tags = COALESCE(tags, excluded.tags)`,
    {
      $id: exp.id, $name: exp.name || exp.id, $owner: exp.owner ?? null, $project: exp.project ?? null, $folder: exp.folder ?? null,
      $readme: exp.readme ?? null, $tags: json(exp.tags), $created: created,
    },
  );
}

/**
 * `claimed`: the runner's run of an unmodified script now belongs to the Experiment the script
 * started. The experiment it started in goes if nothing else implies it (no runs, not created from the UI).
 */
function applyClaim(db: Database, runId: string, e: Extract<RunEvent, { t: 'claimed' }>): void {
  if (!isObject(e.experiment) || typeof e.experiment.id !== 'string' || e.experiment.id === '') throw new RecordError('claimed without experiment.id');
  const previous = one(db, 'SELECT experiment FROM runs WHERE id = ?', [runId])?.experiment;
  upsertExperiment(db, e.experiment, typeof e.ts === 'number' ? e.ts : 0);
  run(db, 'UPDATE runs SET experiment = ?, manifest_name = COALESCE(?, manifest_name) WHERE id = ?', [
    e.experiment.id, typeof e.name === 'string' && e.name ? e.name : null, runId,
  ]);
  if (previous !== undefined && previous !== e.experiment.id) {
    run(db, 'DELETE FROM experiments WHERE id = ? AND recreated_at IS NULL AND NOT EXISTS (SELECT 1 FROM runs WHERE experiment = ?)', [previous, previous]);
  }
}

/** Journal activity, for the heartbeat check; called once per chunk with its latest timestamp. */
export function touchRun(db: Database, runId: string, ts: number): void {
  run(db, 'UPDATE runs SET last_activity = MAX(COALESCE(last_activity, 0), ?) WHERE id = ?', [ts, runId]);
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export function levelNumber(level: string): number {
  return Object.hasOwn(LEVELS, level) ? LEVELS[level as LogLevel] : LEVELS.info; // "constructor" is no level
}

/** Applies one events.jsonl record; returns false for a record type this version does not know. */
export function applyRunEvent(db: Database, runId: string, e: RunEvent, series: SeriesWriter): boolean {
  switch (e.t) {
    case 'status':
      applyStatus(db, runId, e);
      return true;
    case 'heartbeat':
      return true;
    case 'claimed':
      applyClaim(db, runId, e);
      return true;
    case 'scheduler':
      applyScheduler(db, runId, e);
      return true;
    case 'process':
      applyProcess(db, runId, e);
      return true;
    case 'params':
      if (!isObject(e.values)) throw new RecordError('params without values');
      for (const [key, value] of Object.entries(e.values)) {
        run(db, 'INSERT OR REPLACE INTO params (run, key, value) VALUES (?, ?, ?)', [runId, key, JSON.stringify(value ?? null)]);
      }
      return true;
    case 'metrics':
      if (!isObject(e.series)) throw new RecordError('metrics without series');
      // Parsed in full first: a bad key rejects the whole record rather than half of it.
      for (const [key, cols] of Object.entries(e.series).map(([key, s]) => [key, parseBatch(key, s)] as const)) {
        appendMetric(db, runId, key, cols, series);
      }
      return true;
    case 'log':
      run(db, 'INSERT INTO logs (run, seq, ts, level, level_no, msg, meta, stream) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM logs WHERE run = ?), ?, ?, ?, ?, ?, ?)', [
        runId, runId, e.ts ?? null, String(e.level ?? 'info'), levelNumber(e.level), String(e.msg ?? ''), json(e.meta), e.stream ?? null,
      ]);
      return true;
    case 'file':
      applyFile(db, runId, e);
      return true;
    case 'tags':
      applyTags(db, runId, e);
      return true;
    case 'tuning.session':
      applyTuningSession(db, runId, e);
      return true;
    case 'tuning.trial':
      applyTuningTrial(db, runId, e);
      return true;
    case 'tuning.complete':
      applyTuningComplete(db, runId, e);
      return true;
    default:
      return false;
  }
}

function applyStatus(db: Database, runId: string, e: Extract<RunEvent, { t: 'status' }>): void {
  if (typeof e.status !== 'string') throw new RecordError('status without status');
  const ended = e.status === 'running' || e.status === 'queued' ? null : e.ts;
  run(
    db,
    `UPDATE runs SET status = $status, ended = $ended, duration = $ended - COALESCE(started, created),
       error = COALESCE($error, error), traceback = COALESCE($traceback, traceback), exit_code = COALESCE($exit, exit_code)
     WHERE id = $id`,
    { $id: runId, $status: e.status, $ended: ended, $error: e.error ?? null, $traceback: e.traceback ?? null, $exit: e.exit_code ?? null },
  );
}

/** The job's latest state; node and output stay known once a record said them. */
function applyScheduler(db: Database, runId: string, e: SchedulerRecord): void {
  if (typeof e.job_id !== 'string' || e.job_id === '' || typeof e.state !== 'string' || e.state === '') throw new RecordError('scheduler record without job_id or state');
  run(
    db,
    `UPDATE runs SET scheduler = $scheduler, job_id = $job, job_state = $state, job_reason = $reason,
       job_node = COALESCE($node, job_node), job_output = COALESCE($output, job_output) WHERE id = $id`,
    {
      $id: runId, $scheduler: String(e.scheduler ?? 'slurm'), $job: e.job_id, $state: e.state, $reason: optionalText(e.reason),
      $node: optionalText(e.node), $output: optionalText(e.output),
    },
  );
}

/** The process that actually runs a pre-created run: its host and pid replace run.json's (crash detection). */
function applyProcess(db: Database, runId: string, e: ProcessRecord): void {
  if (typeof e.host !== 'string' || typeof e.pid !== 'number') throw new RecordError('process record without host or pid');
  run(
    db,
    `UPDATE runs SET host = $host, pid = $pid, started = $ts, python = COALESCE($python, python), git = COALESCE($git, git),
       script = COALESCE($script, script) WHERE id = $id`,
    { $id: runId, $host: e.host, $pid: e.pid, $ts: typeof e.ts === 'number' ? e.ts : null, $python: json(e.python ?? undefined), $git: json(e.git ?? undefined), $script: json(e.script ?? undefined) },
  );
}

function optionalText(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** `tags`: merged into the run's script tags (JSON merge patch: a null value removes the key). */
function applyTags(db: Database, runId: string, e: Extract<RunEvent, { t: 'tags' }>): void {
  if (!isObject(e.tags) || !Object.values(e.tags).every((v) => v === null || typeof v === 'string')) {
    throw new RecordError('tags record without {key: text or null}');
  }
  run(db, "UPDATE runs SET script_tags = json_patch(COALESCE(script_tags, '{}'), ?) WHERE id = ?", [JSON.stringify(e.tags), runId]);
  syncRunTags(db, runId);
}

function applyFile(db: Database, runId: string, e: Extract<RunEvent, { t: 'file' }>): void {
  if (typeof e.id !== 'string' || typeof e.path !== 'string') throw new RecordError('file record without id or path');
  if (e.op !== 'delete' && !isSafeRunFilePath(e.path)) throw new RecordError(`file record with a path outside the run's files: ${JSON.stringify(e.path)}`);
  if (e.op === 'delete') {
    run(db, 'UPDATE files SET deleted = 1, updated = ? WHERE run = ? AND id = ?', [e.ts, runId, e.id]);
    return;
  }
  run(
    db,
    `INSERT INTO files (run, id, path, size, sha256, description, tags, meta, created, updated)
     VALUES ($run, $id, $path, $size, $sha, $desc, $tags, $meta, $ts, $ts)
     ON CONFLICT (run, id) DO UPDATE SET path = excluded.path, size = excluded.size, sha256 = excluded.sha256,
       description = COALESCE(excluded.description, description), tags = COALESCE(excluded.tags, tags),
       meta = COALESCE(excluded.meta, meta), updated = excluded.updated, deleted = 0`,
    {
      $run: runId, $id: e.id, $path: e.path, $size: e.size ?? null, $sha: e.sha256 ?? null, $desc: e.description ?? null,
      $tags: json(e.tags), $meta: json(e.meta), $ts: e.ts,
    },
  );
}

interface Batch {
  step: number[];
  value: JsonNumber[];
  time: number[];
}

function parseBatch(key: string, s: Batch): SeriesColumns {
  const n = Array.isArray(s?.step) ? s.step.length : -1;
  if (n < 0 || !Array.isArray(s.value) || !Array.isArray(s.time) || s.value.length !== n || s.time.length !== n) {
    throw new RecordError(`metric "${key}": step, value and time must be arrays of one length`);
  }
  return { step: floats(s.step), value: floats(s.value), time: floats(s.time) };
}

function floats(values: readonly unknown[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' ? v : toFloat(v);
  }
  return out;
}

function appendMetric(db: Database, runId: string, key: string, cols: SeriesColumns, series: SeriesWriter): void {
  const { step, value, time } = cols;
  const n = step.length;
  if (n === 0) return;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = value[i];
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const prev = one(db, 'SELECT count, min, max FROM metric_summaries WHERE run = ? AND key = ?', [runId, key]);
  const count = Number(prev?.count ?? 0);
  if (typeof prev?.min === 'number' && prev.min < min) min = prev.min;
  if (typeof prev?.max === 'number' && prev.max > max) max = prev.max;
  series.append(runId, key, count, cols);
  // NaN binds as NULL: "last" is NULL with count > 0 when the last value was NaN.
  run(db, 'INSERT OR REPLACE INTO metric_summaries (run, key, last, min, max, count, last_step, last_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    runId, key, value[n - 1], Number.isFinite(min) ? min : null, Number.isFinite(max) ? max : null, count + n, step[n - 1], time[n - 1],
  ]);
}

function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === null) return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new RecordError(`not a number: ${JSON.stringify(v)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field of a file a script wrote; anything else is dropped (sql.js would bind an array as a BLOB). */
function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
