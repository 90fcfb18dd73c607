import * as vscode from 'vscode';
import { log, showError } from '../../platform/log';
import { PanelHost, type PanelKind } from '../../platform/webview-panel';
import type { WorkspaceStore } from '../../platform/workspace-store';
import type { RefreshResult, TrackingStore, XAxis } from '../../store';
import { fullSeries, saveCsv, savePng } from '../charts/chart-exports';
import { changedKeys, fingerprints, type MetricFingerprints } from '../dashboard/dashboard-data';
import { compareData, firstPayload, keySeries } from './compare-data';
import { COMPARE_PROTOCOL, isCompareState, parseFromCompare, type CompareData, type FromCompare, type KeySeries, type ToCompare } from './contract';

export const COMPARE_VIEW_TYPE = 'mlwb.compareRuns';
/** The open comparisons (one panel per selection of runs); live, and restored after a reload. */
export class RunComparisons implements vscode.Disposable {
  private readonly panels = new Map<string, RunComparison>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: WorkspaceStore, private readonly openRun: (id: string) => void) {
    this.subscription = store.onDidChange((result) => this.storeChanged(result));
  }

  open(runIds: readonly string[]): RunComparison {
    const ids = [...new Set(runIds)];
    const existing = this.panels.get(ids.join('\n'));
    if (existing) {
      existing.host.panel.reveal();
      return existing;
    }
    return this.track(new RunComparison(ids, this.store, this.openRun, (kind) => PanelHost.open(kind, this.extensionUri)));
  }

  revive(panel: vscode.WebviewPanel, state: unknown): void {
    if (!isCompareState(state)) {
      panel.dispose();
      return;
    }
    this.track(new RunComparison(state.runIds, this.store, this.openRun, (kind) => PanelHost.revive(panel, kind, this.extensionUri)));
  }

  all(): RunComparison[] {
    return [...this.panels.values()];
  }

  private track(c: RunComparison): RunComparison {
    const key = c.runIds.join('\n');
    this.panels.set(key, c);
    c.host.onDidDispose(() => {
      if (this.panels.get(key) === c) this.panels.delete(key);
    });
    return c;
  }

  private storeChanged(result: RefreshResult): void {
    for (const c of this.panels.values()) {
      const changed = result.rebuilt !== undefined ? c.runIds : c.runIds.filter((id) => result.runs.includes(id));
      if (changed.length) c.live(changed);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    for (const c of this.panels.values()) c.dispose();
  }
}

/** One comparison of runs: overlays per metric, params, summaries; pushes what changed while runs run. */
export class RunComparison implements vscode.Disposable {
  readonly host: PanelHost<FromCompare, ToCompare>;
  private view: { width: number; xAxis: XAxis } | undefined;
  /** Metrics the webview has loaded, with their zoom range. */
  private readonly loaded = new Map<string, [number, number] | undefined>();
  private seen = new Map<string, MetricFingerprints>();
  private pending = new Set<string>();
  private updating: Promise<void> | undefined;
  private readonly sent = new vscode.EventEmitter<ToCompare>();
  readonly onDidSend = this.sent.event;

  constructor(
    readonly runIds: readonly string[],
    private readonly store: WorkspaceStore,
    private readonly openRun: (id: string) => void,
    open: (kind: PanelKind<FromCompare, ToCompare>) => PanelHost<FromCompare, ToCompare>,
  ) {
    this.host = open({
      viewType: COMPARE_VIEW_TYPE,
      title: `Compare ${runIds.length} Runs`,
      bundle: 'compare',
      parse: parseFromCompare,
      onMessage: (m) => this.onMessage(m),
    });
    this.host.onDidDispose(() => this.sent.dispose());
  }

  live(changedRuns: readonly string[]): void {
    if (!this.view) return;
    for (const id of changedRuns) this.pending.add(id);
    if (this.updating) return;
    this.updating = this.pushUpdate()
      .catch((err) => log().error(`compare: live update failed: ${(err as Error).stack ?? err}`))
      .finally(() => {
        this.updating = undefined;
        if (this.pending.size) this.live([]);
      });
  }

  private async post(message: ToCompare): Promise<void> {
    await this.host.post(message);
    this.sent.fire(message);
  }

  private async onMessage(m: FromCompare): Promise<void> {
    try {
      await this.handle(m);
    } catch (err) {
      void showError(`Compare runs: ${(err as Error).message}`);
    }
  }

  private async handle(m: FromCompare): Promise<void> {
    const s = await this.store.get();
    switch (m.type) {
      case 'ready': {
        this.view = { width: m.width, xAxis: m.xAxis };
        this.loaded.clear();
        const { data, series } = firstPayload(s, this.runIds, m.width, m.xAxis);
        for (const k of series) this.loaded.set(k.key, undefined);
        this.remember(s, data);
        this.host.panel.title = `Compare ${data.runs.length} Runs`;
        return this.post({ type: 'compare', v: COMPARE_PROTOCOL, data, series });
      }
      case 'series': {
        this.view = { width: m.width, xAxis: m.xAxis };
        this.loaded.set(m.key, m.range);
        const series = keySeries(s, this.presentIds(s), m.key, m.width, m.xAxis, m.range);
        return this.post({ type: 'series', v: COMPARE_PROTOCOL, seq: m.seq, series });
      }
      case 'openRun':
        if (this.runIds.includes(m.id)) this.openRun(m.id);
        return;
      case 'exportCsv':
        await this.exportCsv(m.key, m.xAxis, m.range);
        return;
      case 'exportPng':
        await savePng(m.dataUrl, `compare-${m.key}`);
        return;
    }
  }

  async exportCsv(key: string, xAxis: XAxis, range?: [number, number], target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const s = await this.store.get();
    const runs = s.compareRuns(this.runIds).runs;
    return saveCsv(fullSeries(s, runs, key, xAxis, range), `compare-${key}`, target);
  }

  private presentIds(s: TrackingStore): string[] {
    return s.compareRuns(this.runIds).runs.map((r) => r.id);
  }

  private remember(s: TrackingStore, data: CompareData): void {
    this.seen = new Map(data.runs.map((r) => [r.id, fingerprints(s.getRun(r.id, { logLimit: 0 })?.metrics ?? [])]));
  }

  private async pushUpdate(): Promise<void> {
    const view = this.view;
    if (!view) return;
    const changed = [...this.pending];
    this.pending.clear();
    const s = await this.store.get();
    const data = compareData(s.compareRuns(this.runIds), this.runIds);
    const series: KeySeries[] = [];
    const grown = new Map<string, string[]>();
    for (const id of changed) {
      const metrics = s.getRun(id, { logLimit: 0 })?.metrics ?? [];
      for (const key of changedKeys(this.seen.get(id) ?? new Map(), metrics)) grown.set(key, [...(grown.get(key) ?? []), id]);
      this.seen.set(id, fingerprints(metrics));
    }
    for (const [key, ids] of grown) {
      if (this.loaded.has(key)) series.push(keySeries(s, ids, key, view.width, view.xAxis, this.loaded.get(key)));
    }
    await this.post({ type: 'update', v: COMPARE_PROTOCOL, data, series });
  }

  dispose(): void {
    this.host.dispose();
  }
}
