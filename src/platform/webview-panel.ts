import * as vscode from 'vscode';
import { log } from './log';
import { panelHtml } from './webview-html';

/** How a panel kind talks: its bundle, and the validation of what its webview sends. */
export interface PanelKind<In, Out> {
  viewType: string;
  title: string;
  /** Name of the bundle under dist/webview/ (`<bundle>.js` and `<bundle>.css`). */
  bundle: string;
  parse(raw: unknown): In;
  onMessage(message: In, host: PanelHost<In, Out>): void | Promise<void>;
}

/**
 * One webview panel: strict CSP page, validated incoming messages, typed outgoing ones.
 * Invalid messages are logged and answered with nothing: a webview is untrusted input.
 */
export class PanelHost<In, Out> implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];

  private constructor(readonly panel: vscode.WebviewPanel, private readonly kind: PanelKind<In, Out>, private readonly extensionUri: vscode.Uri) {
    const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist, vscode.Uri.joinPath(extensionUri, 'media')] };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mlwb.svg');
    this.render();
    this.subscriptions.push(panel.webview.onDidReceiveMessage((raw) => this.receive(raw)));
    this.subscriptions.push(panel.onDidDispose(() => this.dispose()));
  }

  /** `preserveFocus`: open without taking the focus from where it is (a preview opened by a click in a tree). */
  static open<In, Out>(kind: PanelKind<In, Out>, extensionUri: vscode.Uri, column = vscode.ViewColumn.Active, preserveFocus = false): PanelHost<In, Out> {
    const panel = vscode.window.createWebviewPanel(kind.viewType, kind.title, { viewColumn: column, preserveFocus }, { retainContextWhenHidden: false });
    return new PanelHost(panel, kind, extensionUri);
  }

  /** Loads the page again (a fresh nonce, so the webview restarts and says `ready` again). */
  render(): void {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    this.panel.webview.html = panelHtml({
      title: this.kind.title,
      cspSource: this.panel.webview.cspSource,
      scriptUri: this.panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, `${this.kind.bundle}.js`)).toString(),
      styleUri: this.panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, `${this.kind.bundle}.css`)).toString(),
    });
  }

  /** Re-attaches a panel VS Code restored after a window reload. */
  static revive<In, Out>(panel: vscode.WebviewPanel, kind: PanelKind<In, Out>, extensionUri: vscode.Uri): PanelHost<In, Out> {
    return new PanelHost(panel, kind, extensionUri);
  }

  get onDidDispose(): vscode.Event<void> {
    return this.panel.onDidDispose;
  }

  post(message: Out): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    let message: In;
    try {
      message = this.kind.parse(raw);
    } catch (err) {
      log().warn(`${this.kind.viewType}: rejected a message from the webview: ${(err as Error).message}`);
      return;
    }
    try {
      await this.kind.onMessage(message, this);
    } catch (err) {
      log().error(`${this.kind.viewType}: handling ${JSON.stringify(raw).slice(0, 200)} failed: ${(err as Error).stack ?? err}`);
    }
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.panel.dispose();
  }
}
