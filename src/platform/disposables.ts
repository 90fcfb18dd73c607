import type * as vscode from 'vscode';

/** Owns what it tracks: everything created in `activate` is released with the extension. */
export class DisposableOwner implements vscode.Disposable {
  private readonly owned: { dispose(): unknown }[] = [];

  track<T extends { dispose(): unknown }>(d: T): T {
    this.owned.push(d);
    return d;
  }

  dispose(): void {
    for (const d of this.owned.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // One failing disposal must not keep the rest alive.
      }
    }
  }
}
