import * as vscode from 'vscode';
import type { TrackingStore } from '../store';
import { descriptionMetric } from './run-text';

export const DESCRIPTION_METRIC_SETTING = 'runs.descriptionMetric';

/** The metric run descriptions show (setting `mlwb.runs.descriptionMetric`, else a default); the store's keys are cached until the next change. */
export class DescriptionMetric {
  private keys: string[] | undefined;

  invalidate(): void {
    this.keys = undefined;
  }

  key(store: TrackingStore): string | undefined {
    const setting = vscode.workspace.getConfiguration('mlwb').get<string>(DESCRIPTION_METRIC_SETTING);
    if (setting?.trim()) return setting.trim();
    this.keys ??= store.metricKeys();
    return descriptionMetric(undefined, this.keys);
  }
}
