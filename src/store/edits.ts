import { appendRecords } from './append';
import { EDITS_JOURNAL, EXPERIMENTS_JOURNAL, inStore, runJournalPath, type StoreLayout } from './paths';
import { JOURNAL_VERSION, type ExperimentEvent, type RunEdit } from './records';

/** A record as the caller describes it; the version and time stamp are added on append. */
export type Draft<T> = T extends unknown ? Omit<T, 'v' | 'ts'> : never;

function stamp(): { v: number; ts: number } {
  return { v: JOURNAL_VERSION, ts: Date.now() / 1000 };
}

/** UI changes go to the journals first; the index learns them by ingesting the journal. */
export function appendExperimentEvent(layout: StoreLayout, e: Draft<ExperimentEvent>): void {
  appendRecords(inStore(layout, EXPERIMENTS_JOURNAL), [{ ...stamp(), ...e }]);
}

export function appendRunEdit(layout: StoreLayout, e: Draft<RunEdit>): void {
  appendRecords(inStore(layout, EDITS_JOURNAL), [{ ...stamp(), ...e }]);
}

/**
 * The final status of a run whose process is gone without writing one (killed after a cancel).
 * Only for a dead process: the UI never writes into a journal that a live process appends to.
 */
export function appendRunEnd(layout: StoreLayout, runId: string, status: 'cancelled' | 'failed', error?: string): void {
  appendRecords(inStore(layout, runJournalPath(runId)), [{ ...stamp(), t: 'status', status, ...(error ? { error } : {}) }]);
}

/** Experiment ids are the normalised full name: "a / b//c " → "a/b/c". */
export function experimentIdFor(name: string): string {
  return name
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join('/');
}
