import * as vscode from 'vscode';
import { isNotebook } from '../../runner/launch-spec';
import { log, showError } from '../../platform/log';
import { PanelHost, type PanelKind } from '../../platform/webview-panel';
import type { WorkspaceStore } from '../../platform/workspace-store';
import { runFilePath, type RefreshResult, type RunDetail, type TrackingStore, type XAxis } from '../../store';
import { fullSeries, saveCsv, savePng } from '../charts/chart-exports';
import { bucketsFor, toWire, type WireSeries } from '../charts/series-wire';
import { parseTags } from '../run-text';
import { DASHBOARD_PROTOCOL, isDashboardState, parseFromDashboard, type DashboardData, type FromDashboard, type LogsView, type RunReport, type ToDashboard } from './contract';
import { changedKeys, dashboardData, fingerprints, type MetricFingerprints } from './dashboard-data';
import { fileVersion, figureImage, isReportFile, readReport } from './run-media';

export const DASHBOARD_VIEW_TYPE = 'mlwb.runDashboard';
const LOG_PAGE = 200;

/** The open run dashboards, one panel per run; they follow the store live and come back after a reload. */
export class RunDashboards implements vscode.Disposable {
  private readonly panels = new Map<string, RunDashboard>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: WorkspaceStore) {
    this.subscription = store.onDidChange((result) => this.storeChanged(result));
  }

  /** Opens (or reveals) the dashboard of a run, kept (a preview showing it is kept from now on). */
  open(runId: string): RunDashboard {
    const existing = this.panels.get(runId);
    if (existing) {
      existing.keep();
      existing.host.panel.reveal();
      return existing;
    }
    return this.track(new RunDashboard(runId, this.store, (kind) => PanelHost.open(kind, this.extensionUri)));
  }

  /**
   * Shows a run in the preview dashboard (a single click in a tree): the one preview panel is reused for the next
   * run clicked, as the Explorer's preview editor is; a run that already has a panel is just revealed. The focus
   * stays where it is. A double click, Open Run or an edit in the panel keeps it.
   */
  preview(runId: string): RunDashboard {
    const existing = this.panels.get(runId);
    if (existing) {
      existing.host.panel.reveal(undefined, true);
      return existing;
    }
    const preview = this.all().find((d) => d.isPreview);
    if (preview) {
      this.panels.delete(preview.runId);
      preview.retarget(runId);
      this.panels.set(runId, preview);
      preview.host.panel.reveal(undefined, true);
      return preview;
    }
    return this.track(new RunDashboard(runId, this.store, (kind) => PanelHost.open(kind, this.extensionUri, vscode.ViewColumn.Active, true), true));
  }

  /** The panel in preview, if any. */
  get previewed(): RunDashboard | undefined {
    return this.all().find((d) => d.isPreview);
  }

  /** Re-attaches a panel VS Code restored after a reload; its webview state names the run. */
  revive(panel: vscode.WebviewPanel, state: unknown): void {
    if (!isDashboardState(state)) {
      panel.dispose();
      return;
    }
    this.track(new RunDashboard(state.runId, this.store, (kind) => PanelHost.revive(panel, kind, this.extensionUri)));
  }

  get(runId: string): RunDashboard | undefined {
    return this.panels.get(runId);
  }

  all(): RunDashboard[] {
    return [...this.panels.values()];
  }

  private track(d: RunDashboard): RunDashboard {
    this.panels.set(d.runId, d);
    d.host.onDidDispose(() => {
      if (this.panels.get(d.runId) === d) this.panels.delete(d.runId); // d.runId: the run it showed last
    });
    return d;
  }

  private storeChanged(result: RefreshResult): void {
    const all = result.rebuilt !== undefined;
    for (const d of this.panels.values()) if (all || result.runs.includes(d.runId)) d.live();
  }

  dispose(): void {
    this.subscription.dispose();
    for (const d of this.panels.values()) d.dispose();
  }
}

/**
 * One run's dashboard: answers its webview, and pushes what changed while the run runs. A preview dashboard
 * (opened by a single click) may be retargeted to another run until it is kept.
 */
export class RunDashboard implements vscode.Disposable {
  readonly host: PanelHost<FromDashboard, ToDashboard>;
  private name: string | undefined;
  private view: { width: number; xAxis: XAxis } | undefined;
  private readonly zoomed = new Map<string, [number, number]>();
  private seen: MetricFingerprints = new Map();
  /** Figure path -> the version whose image the webview has. */
  private figuresSent = new Map<string, string>();
  /** Report path -> [file version, what it says]: a report file is read again only when the run saves it again. */
  private readonly reports = new Map<string, [string, RunReport]>();
  private logsQuery: Omit<LogsView, 'total' | 'logs'> = { seq: 0, offset: -1 };
  private updating: Promise<void> | undefined;
  private again = false;
  private readonly sent = new vscode.EventEmitter<ToDashboard>();
  /** Every message sent to the webview (tests and diagnostics observe it). */
  readonly onDidSend = this.sent.event;

  constructor(
    private current: string,
    private readonly store: WorkspaceStore,
    open: (kind: PanelKind<FromDashboard, ToDashboard>) => PanelHost<FromDashboard, ToDashboard>,
    private preview = false,
  ) {
    const runId = current;
    this.host = open({
      viewType: DASHBOARD_VIEW_TYPE,
      title: `Run ${runId}`,
      bundle: 'run',
      parse: parseFromDashboard,
      onMessage: (m) => this.onMessage(m),
    });
    this.host.onDidDispose(() => this.sent.dispose());
    if (preview) this.showTitle();
  }

  get runId(): string {
    return this.current;
  }

  get isPreview(): boolean {
    return this.preview;
  }

  /** From preview to a panel of its own: the next single click opens another preview. */
  keep(): void {
    if (!this.preview) return;
    this.preview = false;
    this.showTitle();
  }

  /** Shows another run in this (preview) panel: the page reloads and asks for the new run. */
  retarget(runId: string): void {
    this.current = runId;
    this.view = undefined;
    this.name = undefined;
    this.zoomed.clear();
    this.seen = new Map();
    this.figuresSent = new Map();
    this.reports.clear();
    this.logsQuery = { seq: 0, offset: -1 };
    this.showTitle();
    this.host.render();
  }

  private showTitle(): void {
    this.host.panel.title = `Run${this.name === undefined ? ` ${this.runId}` : `: ${this.name}`}${this.preview ? ' (preview)' : ''}`;
  }

  /** The store changed this run: push its new state and the series that gained points (coalesced). */
  live(): void {
    if (!this.view) return;
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = this.pushUpdate()
      .catch((err) => log().error(`run dashboard ${this.runId}: live update failed: ${(err as Error).stack ?? err}`))
      .finally(() => {
        this.updating = undefined;
        if (this.again) {
          this.again = false;
          this.live();
        }
      });
  }

  private async post(message: ToDashboard): Promise<void> {
    await this.host.post(message);
    this.sent.fire(message);
  }

  private async onMessage(m: FromDashboard): Promise<void> {
    try {
      await this.handle(m);
    } catch (err) {
      void showError(`Run dashboard: ${(err as Error).message}`);
    }
  }

  private async handle(m: FromDashboard): Promise<void> {
    const s = await this.store.get();
    switch (m.type) {
      case 'ready':
      case 'axis':
        this.view = { width: m.width, xAxis: m.xAxis };
        this.zoomed.clear();
        return this.sendAll(s);
      case 'zoom': {
        if (m.range) this.zoomed.set(m.key, m.range);
        else this.zoomed.delete(m.key);
        this.view = { width: m.width, xAxis: m.xAxis };
        const series = this.series(s, m.key);
        if (series) await this.post({ type: 'series', v: DASHBOARD_PROTOCOL, seq: m.seq, series });
        return;
      }
      case 'logs':
        this.logsQuery = { seq: m.seq, level: m.level, search: m.search, offset: m.offset };
        return this.post({ type: 'logs', v: DASHBOARD_PROTOCOL, logs: this.logs(s) });
      case 'setTags': {
        this.keep();
        const parsed = parseTags(m.tags.join(','));
        if ('error' in parsed) throw new Error(parsed.error);
        await this.store.edit((st) => st.setRunTags(this.runId, parsed.tags), { runs: [this.runId] });
        return;
      }
      case 'setNotes':
        this.keep();
        await this.store.edit((st) => st.setRunNotes(this.runId, m.notes), { runs: [this.runId] });
        return;
      case 'rename':
        this.keep();
        await this.store.edit((st) => st.renameRun(this.runId, m.name), { runs: [this.runId] });
        return;
      case 'openFile':
      case 'revealFile':
        return this.file(s, m.path, m.type === 'openFile');
      case 'compareFile':
        await vscode.commands.executeCommand('mlwb.compareNotebookWithSource', this.runId);
        return;
      case 'openRun':
        await vscode.commands.executeCommand('mlwb.openRun', m.runId);
        return;
      case 'exportCsv':
        await this.exportCsv(m.key, m.xAxis, m.range);
        return;
      case 'exportPng':
        await savePng(m.dataUrl, `${this.host.panel.title}-${m.key}`);
        return;
    }
  }

  /** Writes every point of `key` (in `range` when given) as CSV; asks where unless `target` is given. */
  async exportCsv(key: string, xAxis: XAxis, range?: [number, number], target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const s = await this.store.get();
    const run = s.getRun(this.runId, { logLimit: 0 });
    if (!run) return undefined;
    return saveCsv(fullSeries(s, [run], key, xAxis, range), `${run.name}-${key}`, target);
  }

  private async sendAll(s: TrackingStore): Promise<void> {
    const run = s.getRun(this.runId, { logLimit: 0 });
    if (!run) return this.post({ type: 'gone', runId: this.runId });
    this.name = run.name;
    this.showTitle();
    this.seen = fingerprints(run.metrics);
    this.figuresSent.clear();
    const series = run.metrics.map((m) => this.series(s, m.key)).filter((x): x is WireSeries => x !== undefined);
    const data = this.data(s, run);
    await this.post({ type: 'run', v: DASHBOARD_PROTOCOL, data, series, logs: this.logs(s) });
    await this.sendFigures(s, data);
  }

  private async pushUpdate(): Promise<void> {
    const s = await this.store.get();
    const run = s.getRun(this.runId, { logLimit: 0 });
    if (!run) return this.post({ type: 'gone', runId: this.runId });
    this.name = run.name;
    this.showTitle();
    const keys = changedKeys(this.seen, run.metrics);
    this.seen = fingerprints(run.metrics);
    const series = keys.map((k) => this.series(s, k)).filter((x): x is WireSeries => x !== undefined);
    // A tailing log view follows the run; a paged or searched one is left where the user put it.
    const logs = this.logsQuery.offset < 0 ? this.logs(s) : undefined;
    const data = this.data(s, run);
    await this.post({ type: 'update', v: DASHBOARD_PROTOCOL, data, series, ...(logs ? { logs } : {}) });
    await this.sendFigures(s, data);
  }

  private data(s: TrackingStore, run: RunDetail): DashboardData {
    const reports: RunReport[] = [];
    const live = new Set<string>();
    for (const f of run.files.filter(isReportFile)) {
      live.add(f.path);
      const version = fileVersion(f);
      let cached = this.reports.get(f.path);
      if (cached?.[0] !== version) {
        cached = [version, readReport(f.path, () => runFilePath(s.layout, this.runId, f.path))];
        this.reports.set(f.path, cached);
      }
      reports.push(cached[1]);
    }
    for (const path of this.reports.keys()) if (!live.has(path)) this.reports.delete(path);
    return dashboardData(run, reports);
  }

  /** The images of the figures the webview does not have in their current version (one message, possibly large). */
  private async sendFigures(s: TrackingStore, data: DashboardData): Promise<void> {
    const todo = data.figures.filter((f) => this.figuresSent.get(f.path) !== f.version);
    if (!todo.length) return;
    const figures = todo.map((f) => figureImage(f, () => runFilePath(s.layout, this.runId, f.path)));
    for (const f of todo) this.figuresSent.set(f.path, f.version);
    await this.post({ type: 'figures', v: DASHBOARD_PROTOCOL, figures });
  }

  private series(s: TrackingStore, key: string): WireSeries | undefined {
    if (!this.view) return undefined;
    const range = this.zoomed.get(key);
    const view = s.getSeries(this.runId, key, { width: bucketsFor(this.view.width), xAxis: this.view.xAxis, range });
    return view && toWire(view, range);
  }

  private logs(s: TrackingStore): LogsView {
    const q = this.logsQuery;
    let offset = q.offset;
    if (offset < 0) offset = Math.max(0, s.getLogs(this.runId, { level: q.level, search: q.search, limit: 0 }).total - LOG_PAGE);
    const page = s.getLogs(this.runId, { level: q.level, search: q.search, offset, limit: LOG_PAGE });
    return { ...q, offset: q.offset < 0 ? -1 : offset, total: page.total, logs: page.logs };
  }

  private async file(s: TrackingStore, rel: string, open: boolean): Promise<void> {
    const run = s.getRun(this.runId, { logLimit: 0 });
    if (!run?.files.some((f) => f.path === rel)) throw new Error(`run ${this.runId} has no file ${JSON.stringify(rel)}`);
    const uri = vscode.Uri.file(runFilePath(s.layout, this.runId, rel));
    if (open && isNotebook(rel)) await vscode.commands.executeCommand('vscode.openWith', uri, 'jupyter-notebook');
    else if (open) await vscode.commands.executeCommand('vscode.open', uri);
    else if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  }

  dispose(): void {
    this.host.dispose();
  }
}
