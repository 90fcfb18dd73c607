import { randomBytes } from 'node:crypto';

/** What a panel page needs: the webview's CSP source and URIs already made by `asWebviewUri`. */
export interface PanelPage {
  title: string;
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  codiconUri?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/**
 * Strict CSP: only our own bundle (by nonce) and our own styles; no remote content, no eval.
 * The `csp-nonce` meta lets the toolkit's inline `:focus-visible` probe pass instead of being reported.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function panelHtml(page: PanelPage, nonce = makeNonce()): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(page.cspSource, nonce)}">
<meta property="csp-nonce" content="${nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(page.styleUri)}" nonce="${nonce}">
<title>${esc(page.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${esc(page.scriptUri)}"></script>
</body>
</html>`;
}
