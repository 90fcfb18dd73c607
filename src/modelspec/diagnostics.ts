import * as vscode from 'vscode';
import { analyzeSpec, type SpecAnalysis } from './analyze';

export const SPEC_SUFFIX = '.mlwb-model.json';
const DEBOUNCE_MS = 250;

export function isSpecDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.path.toLowerCase().endsWith(SPEC_SUFFIX);
}

export function isSpecUri(uri: vscode.Uri): boolean {
  return uri.path.toLowerCase().endsWith(SPEC_SUFFIX);
}

const SEVERITY = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, info: vscode.DiagnosticSeverity.Information };

/** Our semantic checks of *.mlwb-model.json files (shapes, layers, hyperparameters) as editor diagnostics. */
export class SpecDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('mlwb-model');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<{ uri: vscode.Uri; analysis: SpecAnalysis }>();
  /** Fires after a spec was (re)analysed: the Architecture panel follows it. */
  readonly onDidAnalyze = this.changed.event;

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.check(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.clearTimer(d.uri);
        this.collection.delete(d.uri);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.check(d);
  }

  /** Analyses now (tests, the panel) and publishes the diagnostics. */
  check(doc: vscode.TextDocument): SpecAnalysis | undefined {
    if (!isSpecDocument(doc)) return undefined;
    this.clearTimer(doc.uri);
    const text = doc.getText();
    const analysis = analyzeSpec(text);
    this.collection.set(
      doc.uri,
      analysis.problems.map((p) => {
        const range = new vscode.Range(doc.positionAt(p.offset), doc.positionAt(p.offset + Math.max(1, p.length)));
        const d = new vscode.Diagnostic(range, p.message, SEVERITY[p.severity]);
        d.source = 'mlwb';
        if (p.layer !== undefined) d.code = `layer ${p.layer}`;
        return d;
      }),
    );
    this.changed.fire({ uri: doc.uri, analysis });
    return analysis;
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isSpecDocument(doc)) return;
    this.clearTimer(doc.uri);
    this.timers.set(doc.uri.toString(), setTimeout(() => this.check(doc), DEBOUNCE_MS));
  }

  private clearTimer(uri: vscode.Uri): void {
    const key = uri.toString();
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.collection.dispose();
    this.changed.dispose();
  }
}
