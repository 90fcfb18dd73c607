import * as assert from 'node:assert/strict';
import { parseFromOverview } from '../../../src/overview/contract';
import { contentSecurityPolicy, panelHtml } from '../../../src/platform/webview-html';
import { BadMessage } from '../../../src/platform/webview-contract';

describe('webview page', () => {
  const page = { title: 'T <x>', cspSource: 'vscode-webview://abc', scriptUri: 'vscode-webview://abc/a.js', styleUri: 'vscode-webview://abc/a.css' };

  it('has a strict CSP: nothing by default, scripts only by nonce, no eval, no remote sources', () => {
    const csp = contentSecurityPolicy(page.cspSource, 'N0NCE');
    assert.match(csp, /^default-src 'none'/);
    assert.match(csp, /script-src 'nonce-N0NCE'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|https?:|\*/);
  });

  it('loads only its own script and style, each carrying the nonce, and escapes the title', () => {
    const html = panelHtml(page, 'N0NCE');
    assert.match(html, /<script nonce="N0NCE" src="vscode-webview:\/\/abc\/a.js"><\/script>/);
    assert.match(html, /<meta property="csp-nonce" content="N0NCE">/);
    assert.match(html, /<title>T &#60;x&#62;<\/title>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
  });

  it('gives each page a fresh nonce', () => {
    const nonce = (h: string) => h.match(/nonce-([A-Za-z0-9]+)/)?.[1];
    assert.notEqual(nonce(panelHtml(page)), nonce(panelHtml(page)));
  });
});

describe('overview messages from the webview (untrusted input)', () => {
  it('accepts the known messages', () => {
    assert.deepEqual(parseFromOverview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromOverview({ type: 'showRuns', status: 'failed', extra: 1 }), { type: 'showRuns', status: 'failed' });
  });

  for (const [what, raw] of [
    ['null', null],
    ['a string', 'ready'],
    ['an array', [{ type: 'ready' }]],
    ['no type', { status: 'failed' }],
    ['an unknown type', { type: 'deleteEverything' }],
    ['a bad status', { type: 'showRuns', status: 'exploded' }],
    ['a status of the wrong type', { type: 'showRuns', status: ['failed'] }],
  ] as const) {
    it(`rejects ${what} with a clear error`, () => {
      assert.throws(() => parseFromOverview(raw), BadMessage);
    });
  }
});
