import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { confirmPickleFile } from '../platform/pickle-trust';
import { PanelHost, type PanelKind } from '../platform/webview-panel';
import { isRecord } from '../platform/webview-contract';
import type { WorkspaceStore } from '../platform/workspace-store';
import { resolveInterpreter } from '../runner/interpreter';
import { analyzeSpec, type SpecAnalysis } from './analyze';
import {
  ARCHITECTURE_PROTOCOL, parseFromArchitecture, type ArchitectureData, type FromArchitecture, type InferenceResult, type SpecWeights,
  type ToArchitecture,
} from './contract';
import { isSpecUri, type SpecDiagnostics } from './diagnostics';
import { inferOnce } from './infer';
import { positionAt } from './json-ast';

export const ARCHITECTURE_VIEW_TYPE = 'mlwb.modelArchitecture';
export const WEIGHTS_FILE = 'model/weights.pt';

/** The Model Architecture panels, one per spec file; they follow the spec as it is edited and trained. */
export class ArchitecturePanels implements vscode.Disposable {
  private readonly panels = new Map<string, ArchitecturePanel>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: WorkspaceStore,
    diagnostics: SpecDiagnostics,
    private readonly runnerDir: string,
    private readonly state: vscode.Memento,
  ) {
    this.subscriptions.push(
      diagnostics.onDidAnalyze(({ uri, analysis }) => void this.panels.get(uri.toString())?.update(analysis)),
      store.onDidChange(() => {
        for (const p of this.panels.values()) void p.update();
      }),
    );
  }

  /** Opens (or reveals) the panel of a spec: the given one or the active editor's. */
  async show(target?: vscode.Uri): Promise<ArchitecturePanel> {
    const uri = target ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri || !isSpecUri(uri)) throw new Error('Open a model spec (*.mlwb-model.json) to see its architecture.');
    const existing = this.panels.get(uri.toString());
    if (existing) {
      existing.host.panel.reveal();
      return existing;
    }
    return this.attach(uri, (kind) => PanelHost.open(kind, this.extensionUri, vscode.ViewColumn.Beside));
  }

  revive(panel: vscode.WebviewPanel, state: unknown): void {
    const raw = isRecord(state) && isRecord(state.data) ? state.data.uri : undefined;
    if (typeof raw !== 'string') {
      panel.dispose();
      return;
    }
    this.attach(vscode.Uri.parse(raw), (kind) => PanelHost.revive(panel, kind, this.extensionUri));
  }

  get(uri: vscode.Uri): ArchitecturePanel | undefined {
    return this.panels.get(uri.toString());
  }

  /**
   * Inference with the latest trained weights of a spec (what the panel's "Try a digit" does). The
   * weights are a torch checkpoint, a pickle: the user is asked before the first load of each file
   * (`{ confirm: false }` skips it: scripted use, tests).
   */
  async infer(uri: vscode.Uri, pixels: number[], opts: { confirm?: boolean } = {}): Promise<InferenceResult> {
    const weights = await latestWeights(this.store, uri);
    if (!weights) throw new Error(`${path.basename(uri.fsPath)} has no completed training run with weights yet: run it first.`);
    const load = { file: weights.file, what: `the weights of run ${weights.runName}`, action: 'Load', origin: `They were saved by run ${weights.runName}.` };
    const sha256 = await confirmPickleFile(this.state, load, opts.confirm !== false);
    if (!sha256) throw new Error('Not loaded: the weights are a PyTorch checkpoint (a pickle), and loading it was declined.');
    const python = await resolveInterpreter(uri);
    if (!python) throw new Error('No Python interpreter to run the model with.');
    return inferOnce(python.path, this.runnerDir, weights.file, pixels, sha256);
  }

  private attach(uri: vscode.Uri, make: (kind: PanelKind<FromArchitecture, ToArchitecture>) => PanelHost<FromArchitecture, ToArchitecture>): ArchitecturePanel {
    const panel: ArchitecturePanel = new ArchitecturePanel(uri, this.store, make, (message, host): Promise<void> => this.onMessage(panel, message, host));
    this.panels.set(uri.toString(), panel);
    panel.host.onDidDispose(() => this.panels.delete(uri.toString()));
    return panel;
  }

  private async onMessage(panel: ArchitecturePanel, message: FromArchitecture, host: PanelHost<FromArchitecture, ToArchitecture>): Promise<void> {
    switch (message.type) {
      case 'ready':
        return panel.update();
      case 'revealLayer': {
        const doc = await vscode.workspace.openTextDocument(panel.uri);
        const layer = analyzeSpec(doc.getText()).layers[message.layer];
        if (!layer) return;
        const range = new vscode.Range(doc.positionAt(layer.offset), doc.positionAt(layer.offset + layer.length));
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: range });
        return;
      }
      case 'train':
        await vscode.commands.executeCommand('mlwb.runCurrentFile', { uri: panel.uri });
        return;
      case 'openRun': {
        const w = await latestWeights(this.store, panel.uri);
        if (w) await vscode.commands.executeCommand('mlwb.openRun', w.runId);
        return;
      }
      case 'register': {
        const w = await latestWeights(this.store, panel.uri);
        if (w) await vscode.commands.executeCommand('mlwb.registerModel', w.runId, { file: WEIGHTS_FILE });
        return;
      }
      case 'infer':
        try {
          await host.post({ type: 'inference', requestId: message.requestId, result: await this.infer(panel.uri, message.pixels) });
        } catch (err) {
          await host.post({ type: 'inferenceError', requestId: message.requestId, message: (err as Error).message });
        }
        return;
    }
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    for (const p of [...this.panels.values()]) p.host.dispose();
    this.panels.clear();
  }
}

/** One spec's panel. `data()` is what the webview shows (tests read it too). */
export class ArchitecturePanel {
  readonly host: PanelHost<FromArchitecture, ToArchitecture>;
  private last: ArchitectureData | undefined;

  constructor(
    readonly uri: vscode.Uri,
    private readonly store: WorkspaceStore,
    make: (kind: PanelKind<FromArchitecture, ToArchitecture>) => PanelHost<FromArchitecture, ToArchitecture>,
    onMessage: (m: FromArchitecture, host: PanelHost<FromArchitecture, ToArchitecture>) => Promise<void>,
  ) {
    this.host = make({
      viewType: ARCHITECTURE_VIEW_TYPE,
      title: `Architecture: ${path.basename(uri.fsPath)}`,
      bundle: 'architecture',
      parse: parseFromArchitecture,
      onMessage,
    });
  }

  get current(): ArchitectureData | undefined {
    return this.last;
  }

  async data(analysis?: SpecAnalysis): Promise<ArchitectureData> {
    const text = specText(this.uri);
    const a = analysis ?? analyzeSpec(text);
    return toData(this.uri, text, a, await latestWeights(this.store, this.uri).catch(() => undefined));
  }

  async update(analysis?: SpecAnalysis): Promise<void> {
    try {
      this.last = await this.data(analysis);
      await this.host.post({ type: 'architecture', v: ARCHITECTURE_PROTOCOL, data: this.last });
    } catch (err) {
      await this.host.post({ type: 'error', message: `Could not read ${path.basename(this.uri.fsPath)}: ${(err as Error).message}` });
    }
  }
}

/** The editor's text when the spec is open (unsaved edits included), else the file's. */
function specText(uri: vscode.Uri): string {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  return doc ? doc.getText() : fs.readFileSync(uri.fsPath, 'utf8');
}

export function toData(uri: vscode.Uri, text: string, a: SpecAnalysis, weights: SpecWeights | undefined): ArchitectureData {
  const value = isRecord(a.value) ? a.value : {};
  const hp = isRecord(value.hyperparams) ? value.hyperparams : {};
  const hyperparams: [string, string][] = Object.entries(hp).map(([k, v]) => [k, isRecord(v) ? Object.entries(v).map(([kk, vv]) => (kk === 'type' ? String(vv) : `${kk} ${vv}`)).join(', ') : String(v)]);
  const fileName = path.basename(uri.fsPath);
  const digits = a.dataset?.type === 'digits' && !a.problems.some((p) => p.severity === 'error');
  return {
    uri: uri.toString(),
    fileName,
    name: a.name ?? fileName.replace(/\.mlwb-model\.json$/i, ''),
    dataset: a.dataset?.type,
    classes: a.dataset?.classes,
    input: a.input,
    layers: a.layers.map((l) => ({ index: l.index, type: l.type, name: l.name, summary: l.summary, output: l.output, params: l.params, error: l.error })),
    totalParams: a.totalParams,
    problems: a.problems.map((p) => ({ severity: p.severity, message: p.message, line: positionAt(text, p.offset).line + 1, layer: p.layer })),
    hyperparams,
    weights,
    digits,
  };
}

/** The newest completed run of this spec that saved model/weights.pt. */
export async function latestWeights(store: WorkspaceStore, uri: vscode.Uri): Promise<SpecWeights | undefined> {
  const s = await store.get();
  const runs = s.listRuns({ script: uri.fsPath, status: ['completed'], sort: { by: 'created', dir: 'desc' }, limit: 20 }).runs;
  for (const r of runs) {
    const detail = s.getRun(r.id, { logLimit: 0 });
    if (!detail?.files.some((f) => f.path === WEIGHTS_FILE)) continue;
    const file = path.join(s.layout.root, 'runs', r.id, 'files', WEIGHTS_FILE);
    if (!fs.existsSync(file)) continue;
    const acc = detail.metrics.find((m) => m.key === 'eval/accuracy');
    return { runId: r.id, runName: r.name, file, accuracy: acc && Number.isFinite(acc.last) ? acc.last : undefined };
  }
  return undefined;
}
