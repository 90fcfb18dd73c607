import type { Database } from 'sql.js';

/**
 * The index schema as a list of migration steps; step i brings the schema to version i + 1.
 * The index is a cache: an index newer than this code (or unreadable) is rebuilt, never migrated down.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE experiments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT, project TEXT, folder TEXT,
    description TEXT,
    tags TEXT,                            -- JSON array
    status TEXT NOT NULL DEFAULT 'active',
    created REAL, updated REAL,
    deleted_at REAL,                      -- runs created before this are gone with the experiment
    recreated_at REAL                     -- latest experiment.created event
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    has_manifest INTEGER NOT NULL DEFAULT 0, -- 0: only UI edits seen so far
    experiment TEXT,
    manifest_name TEXT, name_override TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    created REAL, ended REAL, duration REAL,
    script TEXT, argv TEXT, cwd TEXT, git TEXT, python TEXT, metadata TEXT, -- JSON
    host TEXT, pid INTEGER,
    last_activity REAL,
    notes TEXT, error TEXT, traceback TEXT, exit_code INTEGER,
    manifest_tags TEXT, tags_override TEXT, -- JSON arrays; run_tags holds the effective set
    deleted INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX runs_experiment ON runs(experiment);
  CREATE TABLE params (run TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run, key)) WITHOUT ROWID;
  CREATE TABLE run_tags (run TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (run, tag)) WITHOUT ROWID;
  CREATE INDEX run_tags_tag ON run_tags(tag);
  CREATE TABLE metric_summaries (
    run TEXT NOT NULL, key TEXT NOT NULL,
    last REAL, min REAL, max REAL,        -- min/max over finite values; last may be NaN (stored NULL)
    count INTEGER NOT NULL,               -- also the number of points in the series files
    last_step REAL, last_time REAL,
    PRIMARY KEY (run, key)
  ) WITHOUT ROWID;
  CREATE TABLE logs (
    run TEXT NOT NULL, seq INTEGER NOT NULL, -- 1, 2, … in journal order: the same after any rebuild
    ts REAL, level TEXT NOT NULL, level_no INTEGER NOT NULL,
    msg TEXT NOT NULL, meta TEXT, stream TEXT,
    PRIMARY KEY (run, seq)
  ) WITHOUT ROWID;
  CREATE TABLE files (
    run TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, size INTEGER, sha256 TEXT,
    description TEXT, tags TEXT, meta TEXT, created REAL, updated REAL,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run, id)
  ) WITHOUT ROWID;
  CREATE TABLE journal_offsets (path TEXT PRIMARY KEY, offset INTEGER NOT NULL, line INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE problems (
    id INTEGER PRIMARY KEY, file TEXT NOT NULL, line INTEGER, offset INTEGER, reason TEXT NOT NULL,
    UNIQUE (file, offset, reason)
  );

  CREATE TABLE tuning_sessions (
    id TEXT PRIMARY KEY, run TEXT, sampler TEXT, search_space TEXT, direction TEXT, metric TEXT,
    n_trials INTEGER, cv_folds INTEGER, status TEXT, best_trial INTEGER, created REAL, ended REAL
  );
  CREATE TABLE trials (
    session TEXT NOT NULL, number INTEGER NOT NULL, params TEXT, value REAL, state TEXT,
    duration REAL, started REAL, ended REAL, intermediate TEXT,
    PRIMARY KEY (session, number)
  ) WITHOUT ROWID;
  `,
  // 2: the model registry (registry/events.jsonl). Drops the placeholder tables of early version-1 indexes.
  `
  DROP TABLE IF EXISTS models;
  DROP TABLE IF EXISTS model_versions;
  CREATE TABLE models (
    name TEXT PRIMARY KEY,
    description TEXT, tags TEXT,          -- JSON array
    created REAL, updated REAL
  ) WITHOUT ROWID;
  CREATE TABLE model_versions (
    model TEXT NOT NULL, version INTEGER NOT NULL,
    event TEXT,                           -- id of its version.registered record
    stage TEXT NOT NULL DEFAULT 'none', stage_updated REAL,
    path TEXT NOT NULL, source_run TEXT, source_file TEXT,
    format TEXT NOT NULL, size INTEGER, sha256 TEXT,
    metrics TEXT, feature_names TEXT,     -- JSON
    n_features INTEGER,
    description TEXT, tags TEXT,          -- JSON array
    created REAL, updated REAL,
    deleted INTEGER NOT NULL DEFAULT 0,   -- kept so a number is never given twice within a model
    PRIMARY KEY (model, version)
  ) WITHOUT ROWID;
  CREATE TABLE model_aliases (model TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, updated REAL, PRIMARY KEY (model, alias)) WITHOUT ROWID;
  CREATE TABLE model_history (
    model TEXT NOT NULL, seq INTEGER NOT NULL, -- 1, 2, … in journal order
    ts REAL, kind TEXT NOT NULL, version INTEGER,
    from_stage TEXT, to_stage TEXT,
    alias TEXT, from_version INTEGER,     -- alias.set: the version that held the alias before
    event TEXT,                           -- the record that caused it (a promotion causes archivals)
    PRIMARY KEY (model, seq)
  ) WITHOUT ROWID;
  CREATE INDEX model_history_event ON model_history(event);
  `,
  // 3: hyperparameter tuning sessions and their trials (tuning.* records of a run's journal).
  // Replaces the placeholder tables of version 1.
  `
  DROP TABLE IF EXISTS tuning_sessions;
  DROP TABLE IF EXISTS trials;
  CREATE TABLE tuning_sessions (
    id TEXT PRIMARY KEY,
    run TEXT NOT NULL,                    -- the run whose journal holds it
    seq INTEGER NOT NULL,                 -- order of sessions within the run
    study_name TEXT NOT NULL,
    directions TEXT NOT NULL,             -- JSON array: 'minimize' | 'maximize' per objective
    metric_names TEXT,                    -- JSON array
    sampler TEXT, requested_sampler TEXT, pruner TEXT, backend TEXT,
    source TEXT NOT NULL,                 -- 'mlwb' | 'optuna'
    space TEXT, config TEXT,              -- JSON
    status TEXT NOT NULL DEFAULT 'running', -- running | completed | stopped | failed
    best_trials TEXT,                     -- JSON array of trial numbers (from tuning.complete)
    importance TEXT,                      -- JSON {method, values} from tuning.complete
    error TEXT,
    created REAL, ended REAL, duration_ms REAL
  );
  CREATE INDEX tuning_sessions_run ON tuning_sessions(run);
  CREATE TABLE tuning_trials (
    session TEXT NOT NULL, number INTEGER NOT NULL,
    run TEXT NOT NULL,                    -- the journal it came from
    state TEXT NOT NULL,
    params TEXT NOT NULL, distributions TEXT, -- JSON
    "values" TEXT,                        -- JSON array (JsonNumber per objective) or NULL
    value REAL,                           -- the first objective's value (NULL: none or non-finite)
    intermediate TEXT,                    -- JSON {step: value}
    started REAL, ended REAL, duration_ms REAL,
    trial_run TEXT, user_attrs TEXT, error TEXT,
    updated REAL,
    PRIMARY KEY (session, number)
  ) WITHOUT ROWID;
  CREATE INDEX tuning_trials_run ON tuning_trials(run);
  `,
  // 4: runs submitted to a scheduler (scheduler and process records): the job's latest state, and when the
  // process started (a queued run's clock starts then, not at submission).
  `
  ALTER TABLE runs ADD COLUMN started REAL;
  ALTER TABLE runs ADD COLUMN scheduler TEXT;     -- 'slurm'
  ALTER TABLE runs ADD COLUMN job_id TEXT;
  ALTER TABLE runs ADD COLUMN job_state TEXT;     -- the scheduler's name: PENDING, RUNNING, COMPLETED, …
  ALTER TABLE runs ADD COLUMN job_reason TEXT;
  ALTER TABLE runs ADD COLUMN job_node TEXT;
  ALTER TABLE runs ADD COLUMN job_output TEXT;
  CREATE INDEX runs_scheduler ON runs(scheduler) WHERE scheduler IS NOT NULL;
  `,
  // 5: runs nested in another (run.json's parent: MLflow nested runs) and the tags a script sets while it runs.
  `
  ALTER TABLE runs ADD COLUMN parent TEXT;
  ALTER TABLE runs ADD COLUMN script_tags TEXT;   -- JSON object {key: value} from tags records
  CREATE INDEX runs_parent ON runs(parent) WHERE parent IS NOT NULL;
  `,
  // 6: evaluation (issue 22): a model's pinned evaluation data, a version's signature, and the detail of a
  // history entry (a promotion's gate outcome, the data pinned).
  `
  ALTER TABLE models ADD COLUMN eval_data TEXT;          -- JSON EvaluationDataRef + ts
  ALTER TABLE model_versions ADD COLUMN signature TEXT;  -- JSON {columns, source, ts}
  ALTER TABLE model_versions ADD COLUMN threshold REAL;  -- a binary classifier's decision threshold on P(positive)
  ALTER TABLE model_history ADD COLUMN detail TEXT;      -- JSON: {gate} | {data}
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The schema version recorded in `db`, 0 for an empty database. */
export function schemaVersion(db: Database): number {
  const table = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (table.length === 0) return 0;
  const rows = db.exec('SELECT version FROM schema_version');
  return rows.length === 0 ? 0 : Number(rows[0].values[0][0]);
}

/** Applies the missing steps; the caller rebuilds instead when the version is newer than ours. */
export function migrate(db: Database): void {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) throw new Error(`index schema ${from} is newer than ${SCHEMA_VERSION}`);
  if (from === SCHEMA_VERSION) return;
  db.run('BEGIN');
  try {
    if (from === 0) db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (0);');
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.run('UPDATE schema_version SET version = ?', [SCHEMA_VERSION]);
    db.run('COMMIT');
  } catch (err) {
    db.run('ROLLBACK');
    throw err;
  }
}
