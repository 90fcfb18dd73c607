import * as vscode from 'vscode';
import { log } from './log';

/**
 * Refreshes a tree view on every change, deferred while the view is hidden: a collapsed view costs
 * nothing during a training run, and catches up once when it is shown again.
 */
export function refreshWhenVisible(view: vscode.TreeView<unknown>, changes: vscode.Event<unknown>, refresh: () => Promise<unknown>, name: string): vscode.Disposable {
  let stale = false;
  const changed = () => {
    if (!view.visible) {
      stale = true;
      return;
    }
    stale = false;
    refresh().catch((err) => log().error(`${name} view refresh failed: ${(err as Error).stack ?? err}`));
  };
  return vscode.Disposable.from(
    changes(changed),
    view.onDidChangeVisibility((e) => {
      if (e.visible && stale) changed();
    }),
  );
}
