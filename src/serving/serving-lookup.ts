import type * as vscode from 'vscode';

/** The hook other views use to show what is served (the Models view's "serving on :PORT"). */
export interface ServingLookup {
  /** The running server of a version, if any. */
  servedOn(model: string, version: number): { port: number; url: string } | undefined;
  readonly onDidChangeServing: vscode.Event<void>;
}
