/** The tracking store's public surface: the facade, its options and the typed query results. */
export { TrackingStore, type OpenOptions, type RefreshResult } from './tracking-store';
export type { IngestProblem } from './problems';
export type * from './query-types';
export type * from './registry-types';
export type * from './records';
export { JOURNAL_VERSION } from './records';
/** For input boxes: each returns the accepted value or an Error whose message says what is wrong. */
export { checkAlias, checkModelName, MODEL_STAGES } from './registry-names';
/** Opening a file a run's journal names: never outside that run's files/ directory. */
export { runFilePath } from './paths';
export { parseQuery, QueryError } from './query/parse';
/** Slurm states in which a job is not over yet. */
export { ACTIVE_JOB_STATES } from './scheduled-runs';
export type * from '../tuning/model';
