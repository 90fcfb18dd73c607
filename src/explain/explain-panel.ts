import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from '../platform/log';
import { PanelHost, type PanelKind } from '../platform/webview-panel';
import { savePng } from '../runs/charts/chart-exports';
import { EXPLAIN_PROTOCOL, parseExplainPanelState, parseFromExplainPanel, type ExplainPanelState, type FromExplainPanel, type ToExplainPanel } from './contract';
import { ExplainFileError, readExplainText } from './explain-file';
import { panelData } from './shaping';

export const EXPLAIN_VIEW_TYPE = 'mlwb.explain';

type Host = PanelHost<FromExplainPanel, ToExplainPanel>;

/**
 * Explanation panels: one per explain.json, restored after a reload. The host reads and validates
 * the file and sends one output (class) at a time, rows and features capped (see shaping.ts); a
 * missing or malformed file is an error shown in the panel.
 */
export class ExplainPanels implements vscode.Disposable {
  private readonly open = new Map<string, { state: ExplainPanelState; title: string; host: Host; last?: ToExplainPanel }>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Opens (or reveals and re-reads) the panel of `file`. */
  async show(file: string, title = defaultTitle(file)): Promise<Host> {
    const existing = this.open.get(file);
    if (existing) {
      existing.host.panel.reveal();
      await this.send(file);
      return existing.host;
    }
    return this.attach({ path: file, output: 0 }, title, PanelHost.open(this.kind(file, title), this.extensionUri));
  }

  revive(panel: vscode.WebviewPanel, raw: unknown): void {
    let state: ExplainPanelState;
    try {
      state = parseExplainPanelState(raw);
    } catch (err) {
      log().warn(`${EXPLAIN_VIEW_TYPE}: not restoring a panel: ${(err as Error).message}`);
      panel.dispose();
      return;
    }
    this.attach(state, panel.title, PanelHost.revive(panel, this.kind(state.path, panel.title), this.extensionUri));
  }

  /** What a file's open panel was last sent (tests read it). */
  shown(file: string): ToExplainPanel | undefined {
    return this.open.get(file)?.last;
  }

  private kind(file: string, title: string): PanelKind<FromExplainPanel, ToExplainPanel> {
    return { viewType: EXPLAIN_VIEW_TYPE, title, bundle: 'explain', parse: parseFromExplainPanel, onMessage: (m) => this.onMessage(file, m) };
  }

  private attach(state: ExplainPanelState, title: string, host: Host): Host {
    this.open.get(state.path)?.host.dispose();
    this.open.set(state.path, { state, title, host });
    host.onDidDispose(() => {
      if (this.open.get(state.path)?.host === host) this.open.delete(state.path);
    });
    return host;
  }

  private async send(file: string): Promise<void> {
    const entry = this.open.get(file);
    if (!entry) return;
    let message: ToExplainPanel;
    try {
      const parsed = readExplainText(await fs.readFile(file, 'utf8'));
      const data = panelData(parsed, file, entry.title, entry.state.output);
      entry.state.output = data.output;
      message = { type: 'explanation', v: EXPLAIN_PROTOCOL, data };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? `${file} does not exist (deleted, or not written yet).` : err instanceof ExplainFileError ? `${e.message} (${file})` : `Could not read ${file}: ${e.message}`;
      log().warn(`explain panel: ${why}`);
      message = { type: 'error', path: file, message: why };
    }
    entry.last = message;
    await entry.host.post(message);
  }

  private async onMessage(file: string, message: FromExplainPanel): Promise<void> {
    const entry = this.open.get(file);
    if (!entry) return;
    switch (message.type) {
      case 'ready':
      case 'refresh':
        return this.send(file);
      case 'selectOutput':
        entry.state.output = message.output;
        return this.send(file);
      case 'exportPng':
        await savePng(message.dataUrl, `${entry.title}-${message.chart}`);
        return;
      case 'openJson':
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
        return;
    }
  }

  dispose(): void {
    for (const p of [...this.open.values()]) p.host.dispose();
    this.open.clear();
  }
}

/** "Explain: model.pkl" from …/<model dir>/<n>/explain/explain.json or a run's files/explain/explain.json. */
function defaultTitle(file: string): string {
  return `Explain: ${path.basename(path.dirname(path.dirname(file)))}`;
}
