import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from '../platform/log';
import { PanelHost, type PanelKind } from '../platform/webview-panel';
import { savePng } from '../runs/charts/chart-exports';
import {
  EVALUATION_PROTOCOL, parseEvaluationPanelState, parseFromEvaluationPanel,
  type EvaluationPanelState, type FromEvaluationPanel, type ToEvaluationPanel,
} from './contract';
import { EvaluationFileError, panelData, readEvaluationText } from './evaluation-file';

export const EVALUATION_VIEW_TYPE = 'mlwb.evaluation';

type Host = PanelHost<FromEvaluationPanel, ToEvaluationPanel>;

/**
 * Evaluation panels: one per evaluation.json or comparison.json, restored after a reload. The host
 * reads and validates the file; a missing or malformed one is an error shown in the panel.
 */
export class EvaluationPanels implements vscode.Disposable {
  private readonly open = new Map<string, { title: string; names?: [string, string?]; host: Host; last?: ToEvaluationPanel }>();

  /** The registered version an evaluation file belongs to (set by the commands, which know the store). */
  versionOf?: (file: string) => Promise<{ model: string; version: number; threshold?: number } | undefined>;

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Opens (or reveals and re-reads) the panel of `file`; `names` label the sides (A, B). */
  async show(file: string, title = defaultTitle(file), names?: [string, string?]): Promise<Host> {
    const existing = this.open.get(file);
    if (existing) {
      existing.title = title;
      existing.names = names ?? existing.names;
      existing.host.panel.title = title;
      existing.host.panel.reveal();
      await this.send(file);
      return existing.host;
    }
    const host = this.attach({ path: file }, title, PanelHost.open(this.kind(file, title), this.extensionUri));
    this.open.get(file)!.names = names;
    return host;
  }

  revive(panel: vscode.WebviewPanel, raw: unknown): void {
    let state: EvaluationPanelState;
    try {
      state = parseEvaluationPanelState(raw);
    } catch (err) {
      log().warn(`${EVALUATION_VIEW_TYPE}: not restoring a panel: ${(err as Error).message}`);
      panel.dispose();
      return;
    }
    this.attach(state, panel.title, PanelHost.revive(panel, this.kind(state.path, panel.title), this.extensionUri));
  }

  /** What a file's open panel was last sent (tests read it). */
  shown(file: string): ToEvaluationPanel | undefined {
    return this.open.get(file)?.last;
  }

  private kind(file: string, title: string): PanelKind<FromEvaluationPanel, ToEvaluationPanel> {
    return { viewType: EVALUATION_VIEW_TYPE, title, bundle: 'evaluation', parse: parseFromEvaluationPanel, onMessage: (m) => this.onMessage(file, m) };
  }

  private attach(state: EvaluationPanelState, title: string, host: Host): Host {
    this.open.get(state.path)?.host.dispose();
    this.open.set(state.path, { title, host });
    host.onDidDispose(() => {
      if (this.open.get(state.path)?.host === host) this.open.delete(state.path);
    });
    return host;
  }

  private async send(file: string): Promise<void> {
    const entry = this.open.get(file);
    if (!entry) return;
    let message: ToEvaluationPanel;
    try {
      const parsed = readEvaluationText(await fs.readFile(file, 'utf8'));
      const data = panelData(parsed, file, entry.title, entry.names);
      const version = await this.versionOf?.(file);
      if (version && parsed.kind === 'evaluation') data.version = version;
      message = { type: 'evaluation', v: EVALUATION_PROTOCOL, data };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? `${file} does not exist (deleted, or not written yet).` : err instanceof EvaluationFileError ? `${e.message} (${file})` : `Could not read ${file}: ${e.message}`;
      log().warn(`evaluation panel: ${why}`);
      message = { type: 'error', path: file, message: why };
    }
    entry.last = message;
    await entry.host.post(message);
  }

  private async onMessage(file: string, message: FromEvaluationPanel): Promise<void> {
    const entry = this.open.get(file);
    if (!entry) return;
    switch (message.type) {
      case 'ready':
      case 'refresh':
        return this.send(file);
      case 'exportPng':
        await savePng(message.dataUrl, `${entry.title}-${message.chart}`);
        return;
      case 'openJson':
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
        return;
      case 'saveThreshold':
        await vscode.commands.executeCommand('mlwb.setThreshold', file, message.threshold);
        return this.send(file);
    }
  }

  dispose(): void {
    for (const p of [...this.open.values()]) p.host.dispose();
    this.open.clear();
  }
}

function defaultTitle(file: string): string {
  return `${path.basename(file) === 'comparison.json' ? 'Compare' : 'Evaluate'}: ${path.basename(path.dirname(path.dirname(file)))}`;
}
