import * as path from 'node:path';
import * as vscode from 'vscode';
import { TrackingStore, type RefreshResult } from '../store';
import { log, showError } from './log';

/** How often the store is probed for changes (a few stats; a pass over the journals only on change). */
const POLL_MS = 1000;

/**
 * The tracking store of the open workspace: opened on first use (never at activation), refreshed
 * when its journals change (see ChangeProbe for why this polls rather than watches), reopened when
 * `mlwb.storePath` changes. Ingestion problems are logged and shown, never fatal.
 */
export class WorkspaceStore implements vscode.Disposable {
  private opening: Promise<TrackingStore> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private refreshing: Promise<RefreshResult> | undefined;
  private readonly changed = new vscode.EventEmitter<RefreshResult>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  /** Fires after every pass that changed something, and after a (re)open. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly extensionUri: vscode.Uri) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mlwb.storePath')) void this.reopen();
      }),
    );
  }

  /** The store directory, or undefined without a workspace folder. */
  get directory(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    const configured = vscode.workspace.getConfiguration('mlwb', folder.uri).get<string>('storePath') || '.mlwb';
    return path.resolve(folder.uri.fsPath, configured);
  }

  get(): Promise<TrackingStore> {
    this.opening ??= this.open();
    return this.opening;
  }

  /** Ingests what changed now; concurrent callers share one pass. */
  refresh(): Promise<RefreshResult> {
    this.refreshing ??= this.get()
      .then((store) => store.refresh())
      .then((result) => {
        this.report(result);
        return result;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * Applies an edit (rename, tags, delete…) and tells the views: the store ingests its own edits at
   * once, so the poller would not report them.
   */
  async edit<T>(fn: (store: TrackingStore) => Promise<T>, changed: { runs?: string[]; experiments?: string[]; models?: string[] }): Promise<T> {
    const result = await fn(await this.get());
    this.changed.fire({ runs: changed.runs ?? [], experiments: changed.experiments ?? [], models: changed.models ?? [], problems: [] });
    return result;
  }

  async rebuild(): Promise<RefreshResult> {
    const store = await this.get();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'MLOps Workbench: rebuilding the index from the journals…' },
      () => store.rebuild('requested from the command palette'),
    );
    this.report(result, true);
    return result;
  }

  private async open(): Promise<TrackingStore> {
    const dir = this.directory;
    if (!dir) throw new Error('Open a folder to use MLOps Workbench: its store lives in the workspace.');
    const started = Date.now();
    const store = await TrackingStore.open(dir, {
      wasmPath: vscode.Uri.joinPath(this.extensionUri, 'dist', 'sql-wasm.wasm').fsPath,
      onError: (err) => void showError(`Saving the index failed: ${(err as Error).message}`),
    });
    log().info(`store ${dir} opened in ${Date.now() - started} ms${store.opened.rebuilt ? ` (rebuilt: ${store.opened.rebuilt})` : ''}`);
    this.poll(store);
    this.report(store.opened, true);
    return store;
  }

  private poll(store: TrackingStore): void {
    clearInterval(this.poller);
    this.poller = setInterval(() => {
      if (this.refreshing || !store.hasChanges()) return;
      this.refresh().catch((err) => log().error(`refresh failed: ${(err as Error).stack ?? err}`));
    }, POLL_MS);
  }

  private async reopen(): Promise<void> {
    const previous = this.opening;
    this.opening = undefined;
    await (await previous?.catch(() => undefined))?.close();
    await this.get().catch((err) => showError(`Could not open the store: ${(err as Error).message}`));
  }

  private report(result: RefreshResult, always = false): void {
    if (result.problems.length > 0) {
      for (const p of result.problems) log().warn(`journal problem: ${JSON.stringify(p)}`);
      void vscode.window
        .showWarningMessage(`MLOps Workbench skipped ${result.problems.length} unreadable journal line(s); nothing else was affected.`, 'Show Log')
        .then((a) => a && log().show(true));
    }
    if (always || result.runs.length > 0 || result.experiments.length > 0 || result.models.length > 0 || result.rebuilt) this.changed.fire(result);
  }

  dispose(): void {
    clearInterval(this.poller);
    for (const s of this.subscriptions) s.dispose();
    void this.opening?.then((s) => s.close()).catch(() => undefined);
  }
}
