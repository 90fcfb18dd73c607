/** The tracking store's public surface: the facade, its options and the typed query results. */
export { TrackingStore, type OpenOptions, type RefreshResult } from './tracking-store';
export type { IngestProblem } from './problems';
export type * from './query-types';
export type * from './records';
export { JOURNAL_VERSION } from './records';
