/** One valid record of every type in records.ts (and a run.json), as templates for the journal fuzz test to break. */
import { JOURNAL_VERSION } from '../../src/store/records';
import { modelDirName } from '../../src/store/registry-names';

const V = JOURNAL_VERSION;
export const TS = 1_700_000_000;

/** Each aims at things the good records of the test never touch. */
export const BAD_SESSION = 'bad-session';
export const RUN_EVENTS: Record<string, unknown>[] = [
  { v: V, t: 'status', ts: TS, status: 'running', error: 'e', traceback: 'tb', exit_code: 0 },
  { v: V, t: 'heartbeat', ts: TS },
  { v: V, t: 'params', ts: TS, values: { 'bad.lr': 0.1, 'bad.depth': 3 } },
  { v: V, t: 'metrics', ts: TS, series: { 'bad/m': { step: [0, 1], value: [1, 'NaN'], time: [TS, TS + 1] } } },
  { v: V, t: 'log', ts: TS, level: 'warn', msg: 'bad-log', meta: { a: 1 }, stream: 'stderr' },
  { v: V, t: 'file', ts: TS, op: 'save', id: 'bad-file', path: 'files/bad.bin', size: 3, sha256: 'ab', description: 'd', tags: ['x'], meta: { a: 1 } },
  { v: V, t: 'claimed', ts: TS, experiment: { id: 'claimed-exp', name: 'claimed-exp', owner: 'o', tags: ['t'] }, name: 'bad-name' },
  {
    v: V, t: 'tuning.session', ts: TS, id: BAD_SESSION, study_name: 's', directions: ['minimize'], metric_names: ['loss'], sampler: 'tpe',
    pruner: 'median', backend: 'builtin', space: { lr: { type: 'float', low: 0.001, high: 1, log: true } }, source: 'mlwb', config: { n_trials: 3 },
  },
  {
    v: V, t: 'tuning.trial', ts: TS, session: BAD_SESSION, number: 0, state: 'complete', params: { lr: 0.1 }, distributions: { lr: { type: 'float', low: 0, high: 1 } },
    values: [0.5], intermediate: { '1': 0.7 }, started: TS, ended: TS + 1, duration_ms: 1000, run: 'x', user_attrs: { a: 1 }, error: 'e',
  },
  { v: V, t: 'tuning.complete', ts: TS, session: BAD_SESSION, status: 'completed', best_trials: [0], n_trials: 1, duration_ms: 5, importance: { method: 'f', values: [{ lr: 1 }] }, error: 'e' },
];
export const EXPERIMENT_EVENTS: Record<string, unknown>[] = [
  { v: V, t: 'experiment.created', ts: TS, id: 'bad-exp', name: 'bad', description: 'd' },
  { v: V, t: 'experiment.renamed', ts: TS, id: 'bad-exp', name: 'bad2' },
  { v: V, t: 'experiment.described', ts: TS, id: 'bad-exp', description: 'd' },
  { v: V, t: 'experiment.status', ts: TS, id: 'bad-exp', status: 'archived' },
  { v: V, t: 'experiment.deleted', ts: TS, id: 'bad-exp' },
];
export const RUN_EDITS: Record<string, unknown>[] = [
  { v: V, t: 'run.renamed', ts: TS, run: 'r-bad', name: 'n' },
  { v: V, t: 'run.notes', ts: TS, run: 'r-bad', notes: 'n' },
  { v: V, t: 'run.tags', ts: TS, run: 'r-bad', tags: ['a'] },
  { v: V, t: 'run.deleted', ts: TS, run: 'r-bad' },
];
export const BAD_MODEL = 'bad-model';
export const REGISTRY_EVENTS: Record<string, unknown>[] = [
  { v: V, t: 'model.created', ts: TS, id: 'b1', model: BAD_MODEL, description: 'd', tags: ['a'] },
  { v: V, t: 'model.described', ts: TS, id: 'b2', model: BAD_MODEL, description: 'd' },
  { v: V, t: 'model.tags', ts: TS, id: 'b3', model: BAD_MODEL, tags: ['a'] },
  {
    v: V, t: 'version.registered', ts: TS, id: 'b4', model: BAD_MODEL, version: 1, path: `registry/models/${modelDirName(BAD_MODEL)}/1/m.pkl`, source_run: 'r',
    source_file: 'x/m.pkl', format: 'pickle', size: 3, sha256: 'ab', metrics: { acc: { last: 1, count: 1 } }, feature_names: ['a'], n_features: 1, description: 'd', tags: ['t'],
  },
  { v: V, t: 'version.stage', ts: TS, id: 'b5', model: BAD_MODEL, version: 1, from: 'none', to: 'production' },
  { v: V, t: 'version.described', ts: TS, id: 'b6', model: BAD_MODEL, version: 1, description: 'd' },
  { v: V, t: 'version.tags', ts: TS, id: 'b7', model: BAD_MODEL, version: 1, tags: ['a'] },
  { v: V, t: 'alias.set', ts: TS, id: 'b8', model: BAD_MODEL, alias: 'champion', version: 1 },
  { v: V, t: 'alias.removed', ts: TS, id: 'b9', model: BAD_MODEL, alias: 'champion' },
  { v: V, t: 'model.evaluation_data', ts: TS, id: 'b12', model: BAD_MODEL, data: { path: 'data/test.csv', sha256: 'a'.repeat(64), size: 10, target: 'y' } },
  { v: V, t: 'version.signature', ts: TS, id: 'b13', model: BAD_MODEL, version: 1, columns: [{ name: 'a', type: 'float', nullable: false, categories: ['x'] }], source: 's' },
  {
    v: V, t: 'version.gate', ts: TS, id: 'b14', model: BAD_MODEL, version: 1, to: 'production',
    gate: { outcome: 'blocked', rule: { metric: 'accuracy', maxDrop: 0.01, mode: 'block' }, problems: ['p'], metric: 'accuracy', challenger: 0.8, production: 0.9, productionVersion: 1, drop: 0.1 },
  },
  {
    v: V, t: 'version.stage', ts: TS, id: 'b15', model: BAD_MODEL, version: 1, from: 'production', to: 'staging',
    gate: { outcome: 'passed', rule: { maxDrop: 0, mode: 'warn' }, problems: [], smoke: { requests: 1, errors: 0 } },
  },
  { v: V, t: 'version.threshold', ts: TS, id: 'b16', model: BAD_MODEL, version: 1, threshold: 0.4 },
  { v: V, t: 'version.deleted', ts: TS, id: 'b10', model: BAD_MODEL, version: 1 },
  { v: V, t: 'model.deleted', ts: TS, id: 'b11', model: BAD_MODEL },
];
/** run.json, mutated like the records. */
export const MANIFEST: Record<string, unknown> = {
  v: V, id: 'r-x', name: 'n', experiment: { id: 'manifest-exp', name: 'manifest-exp' }, created: TS, script: { path: 's.py' }, argv: ['s.py'], cwd: '/w', host: 'h', pid: 1,
  python: { executable: 'p', version: '3' }, git: { commit: 'c', dirty: false }, tags: ['t'], metadata: { a: 1 },
};

