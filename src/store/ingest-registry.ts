import type { Database } from 'sql.js';
import { inStore, type StoreLayout } from './paths';
import { RecordError } from './problems';
import type { EvaluationDataRef, GateRecord, ModelFormat, ModelStage, RegistryEvent, SignatureColumn } from './records';
import type { RegistryHistoryKind } from './registry-types';
import { checkAlias, checkModelName, isRegistryFilePath, MODEL_STAGES, modelDirName } from './registry-names';
import { all, json, num, one, run } from './sql';

const FORMATS: readonly ModelFormat[] = ['pickle', 'joblib', 'torch', 'onnx', 'xgboost-json', 'xgboost-ubj', 'safetensors', 'unknown'];

/**
 * Applies one registry/events.jsonl record in journal order; returns false for a record type this
 * version does not know. Deterministic: the same journal gives the same index whatever the order the
 * writers appended in (see RegistryEvent for the rules).
 */
export function applyRegistryEvent(db: Database, layout: StoreLayout, e: RegistryEvent): boolean {
  if (typeof e.t !== 'string' || !Object.hasOwn(APPLIERS, e.t)) return false;
  const model = checkModelName(e.model);
  if (model instanceof Error || model !== e.model) throw new RecordError(`registry record with an invalid model name: ${model instanceof Error ? model.message : JSON.stringify(e.model)}`);
  if (typeof e.ts !== 'number') throw new RecordError('registry record without ts');
  const id = typeof e.id === 'string' ? e.id : null;
  APPLIERS[e.t](db, layout, e as never, id);
  return true;
}

type Applier<T extends RegistryEvent['t']> = (db: Database, layout: StoreLayout, e: Extract<RegistryEvent, { t: T }>, id: string | null) => void;

const APPLIERS: { [T in RegistryEvent['t']]: Applier<T> } = {
  'model.created': (db, _l, e, id) => {
    if (modelExists(db, e.model)) return;
    ensureModel(db, e.model, e.ts, e.description, stringList(e.tags, 'tags'));
    history(db, e.model, e.ts, 'model.created', { event: id });
  },
  'model.described': (db, _l, e, id) => {
    requireModel(db, e.model);
    run(db, 'UPDATE models SET description = ?, updated = ? WHERE name = ?', [String(e.description ?? ''), e.ts, e.model]);
    history(db, e.model, e.ts, 'model.described', { event: id });
  },
  'model.tags': (db, _l, e, id) => {
    requireModel(db, e.model);
    run(db, 'UPDATE models SET tags = ?, updated = ? WHERE name = ?', [json(requiredList(e.tags)), e.ts, e.model]);
    history(db, e.model, e.ts, 'model.tags', { event: id });
  },
  'model.deleted': (db, _l, e) => {
    // The model and everything about it goes: the name is free again, its versions start over at 1.
    for (const table of ['model_versions', 'model_aliases', 'model_history']) run(db, `DELETE FROM ${table} WHERE model = ?`, [e.model]);
    run(db, 'DELETE FROM models WHERE name = ?', [e.model]);
  },
  'version.registered': (db, layout, e, id) => {
    let version = e.version;
    if (!Number.isInteger(version) || version < 1) throw new RecordError(`version.registered with an invalid version ${JSON.stringify(version)}`);
    if (typeof e.path !== 'string' || !isRegistryFilePath(e.path)) throw new RecordError(`version.registered with a path outside registry/models/: ${JSON.stringify(e.path)}`);
    // Only in its own model's directory: deleting it can never take another model's files.
    if (e.path.split('/')[2] !== modelDirName(e.model)) throw new RecordError(`version.registered with a path outside its model's directory: ${JSON.stringify(e.path)}`);
    inStore(layout, e.path);
    if (!FORMATS.includes(e.format)) throw new RecordError(`version.registered with an unknown format ${JSON.stringify(e.format)}`);
    if (typeof e.sha256 !== 'string' || typeof e.size !== 'number') throw new RecordError('version.registered without sha256 or size');
    if (id !== null && one(db, 'SELECT 1 AS x FROM model_versions WHERE model = ? AND event = ?', [e.model, id])) return; // a duplicated line
    const featureNames = stringList(e.feature_names, 'feature_names');
    const tags = stringList(e.tags, 'tags');
    ensureModel(db, e.model, e.ts);
    // Taken already (a writer that bypassed the lock): the later record gets the next free number.
    if (versionRow(db, e.model, version, true)) version = Number(one(db, 'SELECT MAX(version) AS n FROM model_versions WHERE model = ?', [e.model])?.n) + 1;
    run(
      db,
      `INSERT INTO model_versions (model, version, event, stage, stage_updated, path, source_run, source_file, format, size, sha256, metrics,
         feature_names, n_features, description, tags, created, updated)
       VALUES ($model, $version, $event, 'none', $ts, $path, $run, $file, $format, $size, $sha, $metrics, $features, $n, $desc, $tags, $ts, $ts)`,
      {
        $model: e.model, $version: version, $event: id, $ts: e.ts, $path: e.path, $run: typeof e.source_run === 'string' ? e.source_run : null,
        $file: typeof e.source_file === 'string' ? e.source_file : null, $format: e.format, $size: e.size, $sha: e.sha256,
        $metrics: json(typeof e.metrics === 'object' && e.metrics !== null ? e.metrics : undefined), $features: json(featureNames),
        $n: Number.isInteger(e.n_features) ? e.n_features! : featureNames?.length ?? null, $desc: typeof e.description === 'string' ? e.description : null,
        $tags: json(tags),
      },
    );
    touchModel(db, e.model, e.ts);
    history(db, e.model, e.ts, 'registered', { version, to: 'none', event: id });
  },
  'version.stage': (db, _l, e, id) => {
    if (!MODEL_STAGES.includes(e.to)) throw new RecordError(`unknown stage ${JSON.stringify(e.to)}`);
    const from = requireVersion(db, e.model, e.version).stage as ModelStage;
    if (from === e.to) return;
    const gate = e.gate === undefined ? undefined : gateOf(e.gate);
    setStage(db, e.model, e.version, from, e.to, e.ts, id, gate && { gate });
    if (e.to === 'production') {
      // One production version per model: the latest promotion in the journal wins.
      const others = all(db, "SELECT version FROM model_versions WHERE model = ? AND stage = 'production' AND deleted = 0 AND version <> ? ORDER BY version", [e.model, e.version]);
      for (const o of others) setStage(db, e.model, Number(o.version), 'production', 'archived', e.ts, id);
    }
    touchModel(db, e.model, e.ts);
  },
  'version.gate': (db, _l, e, id) => {
    if (!MODEL_STAGES.includes(e.to)) throw new RecordError(`unknown stage ${JSON.stringify(e.to)}`);
    const from = requireVersion(db, e.model, e.version).stage as ModelStage;
    history(db, e.model, e.ts, 'gate', { version: e.version, from, to: e.to, event: id, detail: { gate: gateOf(e.gate) } });
  },
  'model.evaluation_data': (db, _l, e, id) => {
    requireModel(db, e.model);
    const data = e.data === null ? null : evaluationDataOf(e.data);
    run(db, 'UPDATE models SET eval_data = ?, updated = ? WHERE name = ?', [data === null ? null : JSON.stringify({ ...data, ts: e.ts }), e.ts, e.model]);
    history(db, e.model, e.ts, 'evaluation_data', { event: id, detail: { data } });
  },
  'version.signature': (db, _l, e, id) => {
    requireVersion(db, e.model, e.version);
    const columns = signatureOf(e.columns);
    const source = typeof e.source === 'string' ? e.source.slice(0, 200) : 'unknown';
    run(db, 'UPDATE model_versions SET signature = ?, updated = ? WHERE model = ? AND version = ?', [JSON.stringify({ columns, source, ts: e.ts }), e.ts, e.model, e.version]);
    history(db, e.model, e.ts, 'signature', { version: e.version, event: id });
  },
  'version.threshold': (db, _l, e, id) => {
    requireVersion(db, e.model, e.version);
    if (e.threshold !== null && (typeof e.threshold !== 'number' || !(e.threshold >= 0 && e.threshold <= 1))) throw new RecordError(`threshold must be between 0 and 1 or null, not ${JSON.stringify(e.threshold)}`);
    run(db, 'UPDATE model_versions SET threshold = ?, updated = ? WHERE model = ? AND version = ?', [e.threshold, e.ts, e.model, e.version]);
    history(db, e.model, e.ts, 'threshold', { version: e.version, event: id, detail: { threshold: e.threshold } });
  },
  'version.described': (db, _l, e, id) => {
    requireVersion(db, e.model, e.version);
    run(db, 'UPDATE model_versions SET description = ?, updated = ? WHERE model = ? AND version = ?', [String(e.description ?? ''), e.ts, e.model, e.version]);
    history(db, e.model, e.ts, 'described', { version: e.version, event: id });
  },
  'version.tags': (db, _l, e, id) => {
    requireVersion(db, e.model, e.version);
    run(db, 'UPDATE model_versions SET tags = ?, updated = ? WHERE model = ? AND version = ?', [json(requiredList(e.tags)), e.ts, e.model, e.version]);
    history(db, e.model, e.ts, 'tags', { version: e.version, event: id });
  },
  'version.deleted': (db, _l, e, id) => {
    requireVersion(db, e.model, e.version);
    // Its aliases go with it (as in MLflow); the row stays, hidden, so its number is never given again.
    for (const a of all(db, 'SELECT alias FROM model_aliases WHERE model = ? AND version = ? ORDER BY alias', [e.model, e.version])) {
      run(db, 'DELETE FROM model_aliases WHERE model = ? AND alias = ?', [e.model, String(a.alias)]);
      history(db, e.model, e.ts, 'alias.removed', { version: e.version, alias: String(a.alias), event: id });
    }
    run(db, 'UPDATE model_versions SET deleted = 1, updated = ? WHERE model = ? AND version = ?', [e.ts, e.model, e.version]);
    touchModel(db, e.model, e.ts);
    history(db, e.model, e.ts, 'deleted', { version: e.version, event: id });
  },
  'alias.set': (db, _l, e, id) => {
    const alias = aliasOf(e.alias);
    requireVersion(db, e.model, e.version);
    const previous = num(one(db, 'SELECT version FROM model_aliases WHERE model = ? AND alias = ?', [e.model, alias])?.version);
    if (previous === e.version) return;
    // One row per (model, alias): the previous holder loses it in the same statement.
    run(db, 'INSERT OR REPLACE INTO model_aliases (model, alias, version, updated) VALUES (?, ?, ?, ?)', [e.model, alias, e.version, e.ts]);
    touchModel(db, e.model, e.ts);
    history(db, e.model, e.ts, 'alias.set', { version: e.version, alias, fromVersion: previous, event: id });
  },
  'alias.removed': (db, _l, e, id) => {
    const alias = aliasOf(e.alias);
    const previous = num(one(db, 'SELECT version FROM model_aliases WHERE model = ? AND alias = ?', [e.model, alias])?.version);
    if (previous === undefined) return;
    run(db, 'DELETE FROM model_aliases WHERE model = ? AND alias = ?', [e.model, alias]);
    touchModel(db, e.model, e.ts);
    history(db, e.model, e.ts, 'alias.removed', { version: previous, alias, event: id });
  },
};

function setStage(db: Database, model: string, version: number, from: ModelStage, to: ModelStage, ts: number, event: string | null, detail?: { gate: GateRecord }): void {
  run(db, 'UPDATE model_versions SET stage = ?, stage_updated = ?, updated = ? WHERE model = ? AND version = ?', [to, ts, ts, model, version]);
  history(db, model, ts, 'stage', { version, from, to, event, detail });
}

const GATE_OUTCOMES = ['passed', 'overridden', 'blocked'];

/** A gate outcome from the journal (written by any version of the extension, or by hand): checked, never trusted. */
export function gateOf(raw: unknown): GateRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RecordError('gate must be an object');
  const g = raw as Record<string, unknown>;
  if (!GATE_OUTCOMES.includes(g.outcome as string)) throw new RecordError(`gate with an unknown outcome ${JSON.stringify(g.outcome)}`);
  const rule = g.rule as Record<string, unknown> | undefined;
  if (typeof rule !== 'object' || rule === null || typeof rule.maxDrop !== 'number' || (rule.mode !== 'block' && rule.mode !== 'warn')) throw new RecordError('gate without its rule {maxDrop, mode}');
  stringList(g.problems, 'gate problems');
  for (const k of ['challenger', 'production', 'drop', 'productionVersion'] as const) {
    if (g[k] !== undefined && (typeof g[k] !== 'number' || !Number.isFinite(g[k]))) throw new RecordError(`gate ${k} must be a finite number`);
  }
  return { ...(g as unknown as GateRecord), problems: (g.problems as string[] | undefined) ?? [] };
}

export function evaluationDataOf(raw: unknown): EvaluationDataRef {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RecordError('evaluation data must be an object or null');
  const d = raw as Record<string, unknown>;
  if (typeof d.path !== 'string' || d.path === '' || d.path.length > 4096) throw new RecordError('evaluation data without a path');
  if (typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256)) throw new RecordError('evaluation data without a sha256');
  if (d.target !== undefined && typeof d.target !== 'string') throw new RecordError('evaluation data target must be a string');
  const out: EvaluationDataRef = { path: d.path, sha256: d.sha256 };
  if (typeof d.size === 'number') out.size = d.size;
  if (typeof d.target === 'string') out.target = d.target;
  return out;
}

export function signatureOf(raw: unknown): SignatureColumn[] {
  if (!Array.isArray(raw) || raw.length > 10_000) throw new RecordError('signature columns must be a list');
  return raw.map((c) => {
    if (typeof c !== 'object' || c === null || typeof (c as SignatureColumn).name !== 'string' || typeof (c as SignatureColumn).type !== 'string') throw new RecordError('a signature column needs a name and a type');
    const col = c as SignatureColumn;
    const out: SignatureColumn = { name: col.name, type: col.type };
    if (typeof col.nullable === 'boolean') out.nullable = col.nullable;
    const cats = stringList(col.categories, 'signature categories');
    if (cats) out.categories = cats;
    return out;
  });
}

function modelExists(db: Database, model: string): boolean {
  return one(db, 'SELECT 1 AS x FROM models WHERE name = ?', [model]) !== undefined;
}

function ensureModel(db: Database, model: string, ts: number, description?: unknown, tags?: string[]): void {
  run(db, 'INSERT OR IGNORE INTO models (name, description, tags, created, updated) VALUES (?, ?, ?, ?, ?)', [
    model, typeof description === 'string' ? description : null, json(tags), ts, ts,
  ]);
}

function touchModel(db: Database, model: string, ts: number): void {
  run(db, 'UPDATE models SET updated = MAX(COALESCE(updated, 0), ?) WHERE name = ?', [ts, model]);
}

function requireModel(db: Database, model: string): void {
  if (!modelExists(db, model)) throw new RecordError(`no model ${JSON.stringify(model)} (deleted?)`);
}

function versionRow(db: Database, model: string, version: unknown, includeDeleted = false) {
  if (!Number.isInteger(version)) return undefined;
  return one(db, `SELECT stage FROM model_versions WHERE model = ? AND version = ? ${includeDeleted ? '' : 'AND deleted = 0'}`, [model, version as number]);
}

function requireVersion(db: Database, model: string, version: unknown): { stage: string } {
  const row = versionRow(db, model, version);
  if (!row) throw new RecordError(`no version ${JSON.stringify(version)} of model ${JSON.stringify(model)} (deleted?)`);
  return { stage: String(row.stage) };
}

function aliasOf(alias: unknown): string {
  const checked = checkAlias(alias);
  if (checked instanceof Error) throw new RecordError(checked.message);
  return checked;
}

function stringList(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new RecordError(`${what} must be a list of strings`);
  return v;
}

function requiredList(v: unknown): string[] {
  return stringList(v, 'tags') ?? [];
}

interface HistoryFields {
  version?: number;
  from?: ModelStage;
  to?: ModelStage;
  alias?: string;
  /** alias.set: the version that held the alias before. */
  fromVersion?: number;
  event: string | null;
  /** A promotion's gate outcome, the evaluation data pinned. */
  detail?: Record<string, unknown>;
}

function history(db: Database, model: string, ts: number, kind: RegistryHistoryKind, f: HistoryFields): void {
  run(
    db,
    `INSERT INTO model_history (model, seq, ts, kind, version, from_stage, to_stage, alias, from_version, event, detail)
     VALUES ($model, (SELECT COALESCE(MAX(seq), 0) + 1 FROM model_history WHERE model = $model), $ts, $kind, $version, $from, $to, $alias, $fromVersion, $event, $detail)`,
    {
      $model: model, $ts: ts, $kind: kind, $version: f.version ?? null, $from: f.from ?? null,
      $to: f.to ?? null, $alias: f.alias ?? null, $fromVersion: f.fromVersion ?? null, $event: f.event,
      $detail: f.detail === undefined ? null : JSON.stringify(f.detail),
    },
  );
}
