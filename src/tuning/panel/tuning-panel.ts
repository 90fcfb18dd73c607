import * as path from 'node:path';
import * as vscode from 'vscode';
import { log, showError } from '../../platform/log';
import { PanelHost, type PanelKind } from '../../platform/webview-panel';
import type { WorkspaceStore } from '../../platform/workspace-store';
import type { RefreshResult, TrackingStore } from '../../store';
import { paramImportance } from '../analysis';
import type { TuningStudy } from '../model';
import { trainPlan } from '../tune-launch';
import {
  isTuningPanelState, parseFromTuning, sourceKey, toWireStudy, TUNING_PROTOCOL, type FromTuning, type StudyChoice, type ToTuning, type TuningActions,
  type TuningSource, type TuningView,
} from './contract';

export const TUNING_VIEW_TYPE = 'mlwb.tuning';

/** What the panel's buttons do (the tuning commands implement it). */
export interface TuningActionHandler {
  stop(study: TuningStudy, now: boolean): Promise<unknown>;
  trainBest(study: TuningStudy): Promise<unknown>;
  registerBest(study: TuningStudy): Promise<unknown>;
  readStudyFile(file: string): Promise<TuningStudy[]>;
}

/** The open tuning panels, one per session, run or study file; the store's panels follow their run live. */
export class TuningPanels implements vscode.Disposable {
  private readonly panels = new Map<string, TuningPanel>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: WorkspaceStore, private readonly actions: TuningActionHandler) {
    this.subscription = store.onDidChange((result) => this.storeChanged(result));
  }

  open(source: TuningSource): TuningPanel {
    const existing = this.panels.get(sourceKey(source)) ?? (source.kind === 'file' ? undefined : this.byStudy(source));
    if (existing) {
      if (source.kind === 'file' && source.study) void existing.select(source.study);
      existing.host.panel.reveal();
      return existing;
    }
    return this.track(new TuningPanel(source, this.store, this.actions, (kind) => PanelHost.open(kind, this.extensionUri)));
  }

  revive(panel: vscode.WebviewPanel, state: unknown): void {
    if (!isTuningPanelState(state)) {
      panel.dispose();
      return;
    }
    this.track(new TuningPanel(state.source, this.store, this.actions, (kind) => PanelHost.revive(panel, kind, this.extensionUri)));
  }

  all(): TuningPanel[] {
    return [...this.panels.values()];
  }

  private byStudy(source: TuningSource): TuningPanel | undefined {
    return this.all().find((p) => (source.kind === 'session' ? p.studyId === source.id : source.kind === 'run' && p.runId === source.runId));
  }

  private track(p: TuningPanel): TuningPanel {
    const key = sourceKey(p.source);
    this.panels.set(key, p);
    p.host.onDidDispose(() => {
      if (this.panels.get(key) === p) this.panels.delete(key);
    });
    return p;
  }

  private storeChanged(result: RefreshResult): void {
    const all = result.rebuilt !== undefined;
    for (const p of this.panels.values()) if (p.runId !== undefined && (all || result.runs.includes(p.runId))) p.live();
  }

  dispose(): void {
    this.subscription.dispose();
    for (const p of this.panels.values()) p.dispose();
  }
}

/** One tuning panel: answers its webview, and (for the store's sessions) pushes the session again as trials arrive. */
export class TuningPanel implements vscode.Disposable {
  readonly host: PanelHost<FromTuning, ToTuning>;
  /** The session or file study shown (once known). */
  studyId: string | undefined;
  runId: string | undefined;
  private study: TuningStudy | undefined;
  private fileStudies: TuningStudy[] | undefined;
  private ready = false;
  private updating: Promise<void> | undefined;
  private again = false;
  private readonly sent = new vscode.EventEmitter<ToTuning>();
  /** Every message sent to the webview (tests observe it). */
  readonly onDidSend = this.sent.event;
  /** The last view sent. */
  lastView: TuningView | undefined;

  constructor(
    public source: TuningSource,
    private readonly store: WorkspaceStore,
    private readonly actions: TuningActionHandler,
    open: (kind: PanelKind<FromTuning, ToTuning>) => PanelHost<FromTuning, ToTuning>,
  ) {
    if (source.kind === 'session') this.studyId = source.id;
    if (source.kind === 'run') this.runId = source.runId;
    this.host = open({
      viewType: TUNING_VIEW_TYPE,
      title: source.kind === 'file' ? `Study: ${path.basename(source.file)}` : 'Tuning',
      bundle: 'tuning',
      parse: parseFromTuning,
      onMessage: (m) => this.onMessage(m),
    });
    this.host.onDidDispose(() => this.sent.dispose());
  }

  /** The store changed this panel's run: send the session again (coalesced). */
  live(): void {
    if (!this.ready) return;
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = this.send()
      .catch((err) => log().error(`tuning panel: live update failed: ${(err as Error).stack ?? err}`))
      .finally(() => {
        this.updating = undefined;
        if (this.again) {
          this.again = false;
          this.live();
        }
      });
  }

  async select(id: string): Promise<void> {
    if (this.source.kind === 'file') this.source = { ...this.source, study: id };
    else this.studyId = id;
    await this.send();
  }

  private async onMessage(m: FromTuning): Promise<void> {
    try {
      await this.handle(m);
    } catch (err) {
      void showError(`Tuning: ${(err as Error).message}`);
    }
  }

  private async handle(m: FromTuning): Promise<void> {
    if (m.type === 'ready') {
      this.ready = true;
      return this.send();
    }
    if (m.type === 'selectStudy') return this.select(m.id);
    const study = this.study;
    if (!study) return;
    switch (m.type) {
      case 'stop':
      case 'stopNow':
        await this.actions.stop(study, m.type === 'stopNow');
        return;
      case 'trainBest':
        await this.actions.trainBest(study);
        return;
      case 'registerBest':
        await this.actions.registerBest(study);
        return;
      case 'openRun':
        if (study.run) await vscode.commands.executeCommand('mlwb.openRun', study.run);
        return;
      case 'copyParams': {
        const t = study.trials.find((x) => x.number === m.number);
        if (!t) return;
        await vscode.env.clipboard.writeText(JSON.stringify(t.params, null, 2));
        void vscode.window.setStatusBarMessage(`Copied the params of trial ${t.number}.`, 3000);
        return;
      }
    }
  }

  private async post(message: ToTuning): Promise<void> {
    await this.host.post(message);
    this.sent.fire(message);
  }

  /** Builds and sends the whole view. */
  async send(): Promise<void> {
    try {
      const view = this.source.kind === 'file' ? await this.fileView(this.source) : await this.storeView(await this.store.get());
      if (!view) return;
      this.lastView = view;
      this.host.panel.title = `Tuning: ${view.study.studyName}`;
      await this.post({ type: 'view', v: TUNING_PROTOCOL, view });
    } catch (err) {
      await this.post({ type: 'error', message: (err as Error).message, source: this.source });
    }
  }

  private async storeView(s: TrackingStore): Promise<TuningView | undefined> {
    let id = this.studyId;
    if (!id && this.runId) id = s.listTuningSessions(this.runId)[0]?.id;
    if (!id) {
      const run = this.runId ? s.getRun(this.runId, { logLimit: 0 }) : undefined;
      if (run && run.status !== 'running') {
        throw new Error(`Run ${run.name} ended (${run.status}) without a tuning session${run.error ? `: ${run.error}` : ''}. Its terminal and log say why.`);
      }
      await this.post({ type: 'waiting', v: TUNING_PROTOCOL, message: 'Waiting for the tuning session to start…', source: this.source });
      return undefined;
    }
    const study = s.getTuningSession(id);
    if (!study) throw new Error(`No tuning session "${id}" in this workspace's store (deleted with its run?).`);
    this.studyId = id;
    this.runId = study.run;
    const run = study.run ? s.getRun(study.run, { logLimit: 0 }) : undefined;
    const siblings = study.run ? s.listTuningSessions(study.run) : [];
    const studies: StudyChoice[] = siblings.map((x) => ({ id: x.id, label: x.studyName, description: `${x.nTrials} trials · ${x.status}` }));
    const importance = study.directions.map((_, k) => s.tuningImportance(id!, k)!).filter(Boolean);
    const plan = trainPlan(study, run?.script?.path);
    const hasBest = study.bestTrials.length > 0;
    const actions: TuningActions = {
      stop: study.status === 'running' && run?.status === 'running',
      train: 'reason' in plan ? plan.reason : true,
      register: !hasBest ? 'no trial has completed yet' : study.directions.length > 1 ? 'a multi-objective study has no single best model' : true,
      openRun: run !== undefined,
    };
    const view: TuningView = {
      source: { kind: 'session', id }, origin: run ? `run ${run.name} · ${run.experimentName}` : 'store', study: toWireStudy(study), studies, importance,
      runStatus: run?.status, actions,
    };
    return this.keep(view, study);
  }

  private async fileView(source: Extract<TuningSource, { kind: 'file' }>): Promise<TuningView> {
    this.fileStudies ??= await this.actions.readStudyFile(source.file);
    const study = this.fileStudies.find((x) => x.id === source.study || x.studyName === source.study) ?? this.fileStudies[0];
    const studies: StudyChoice[] = this.fileStudies.map((x) => ({
      id: x.id, label: x.studyName, description: `${x.trials.length} trials · ${x.directions.join(', ')}`,
    }));
    const why = 'a study read from a file has no script to run';
    const view: TuningView = {
      source: { kind: 'file', file: source.file, study: study.id }, origin: source.file, study: toWireStudy(study), studies,
      importance: study.directions.map((_, k) => paramImportance(study, k)), actions: { stop: false, train: why, register: why, openRun: false },
    };
    return this.keep(view, study);
  }

  private keep(view: TuningView, study: TuningStudy): TuningView {
    this.study = study;
    return view;
  }

  /** The study shown (after the first view was sent). */
  get current(): TuningStudy | undefined {
    return this.study ?? undefined;
  }

  dispose(): void {
    this.host.dispose();
  }
}
