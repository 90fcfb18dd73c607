/**
 * Tells a double click from a single one for a tree item's command. VS Code runs a TreeItem's command on every
 * click and passes it nothing that says "double" (only its own `vscode.open` gets the open event), so a second
 * click on the same item within the system's usual double-click time counts as the double click.
 * No `vscode` import: tested in plain Node.
 */
export const DOUBLE_CLICK_MS = 500;

export class ClickKind {
  private last: { key: string; at: number } | undefined;

  constructor(
    private readonly windowMs = DOUBLE_CLICK_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** 'double' when the same key was clicked within the window before, else 'single'. */
  click(key: string): 'single' | 'double' {
    const at = this.now();
    const double = this.last !== undefined && this.last.key === key && at - this.last.at <= this.windowMs;
    this.last = { key, at };
    return double ? 'double' : 'single';
  }
}
