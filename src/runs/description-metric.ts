import * as vscode from 'vscode';
import type { TrackingStore } from '../store';
import { descriptionMetric } from './run-text';

export const DESCRIPTION_METRIC_SETTING = 'runs.descriptionMetric';

/** Listing the store's metric keys scans every run's summaries (~10 ms at 10,000 runs): not on every pass. */
const KEYS_MAX_AGE_MS = 5000;

/** The metric run descriptions show (setting `mlwb.runs.descriptionMetric`, else a default from the store's keys). */
export class DescriptionMetric {
  private keys: { list: string[]; at: number; store: TrackingStore } | undefined;

  /** The store changed: the keys may have too (re-read when the cached ones are a few seconds old). */
  invalidate(force = false): void {
    if (!this.keys) return;
    if (force || Date.now() - this.keys.at > KEYS_MAX_AGE_MS || descriptionMetric(undefined, this.keys.list) === undefined) this.keys = undefined;
  }

  key(store: TrackingStore): string | undefined {
    const setting = vscode.workspace.getConfiguration('mlwb').get<string>(DESCRIPTION_METRIC_SETTING);
    if (setting?.trim()) return setting.trim();
    if (this.keys?.store !== store) this.keys = { list: store.metricKeys(), at: Date.now(), store };
    return descriptionMetric(undefined, this.keys.list);
  }
}
