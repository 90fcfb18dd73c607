// Guarantee: every webview panel gets a strict CSP (a nonce, no 'unsafe-eval' or 'unsafe-inline' scripts, no remote sources) and loads only its own bundle.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { panelHtml } from '../../src/platform/webview-html';

const repo = path.resolve(__dirname, '../../..');
const read = (rel: string) => fs.readFileSync(path.join(repo, rel), 'utf8');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? sourceFiles(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Every panel, from the three places a new one has to be added: the manifest, webview/panels/ and its PanelKind in src/. */
function panels(): { viewTypes: string[]; bundles: string[]; kindBundles: string[]; kindViewTypes: string[] } {
  const manifest = JSON.parse(read('package.json')) as { activationEvents: string[] };
  const viewTypes = manifest.activationEvents.filter((e) => e.startsWith('onWebviewPanel:')).map((e) => e.slice('onWebviewPanel:'.length));
  const bundles = fs.readdirSync(path.join(repo, 'webview/panels')).filter((d) => fs.existsSync(path.join(repo, 'webview/panels', d, 'main.ts')));
  const src = sourceFiles('src').map(read);
  const kindBundles = src.flatMap((text) => [...text.matchAll(/\bbundle: '([^']+)'/g)].map((m) => m[1]));
  const kindViewTypes = src.flatMap((text) => [...text.matchAll(/export const \w+_VIEW_TYPE = '([^']+)'/g)].map((m) => m[1]));
  return { viewTypes: viewTypes.sort(), bundles: bundles.sort(), kindBundles: kindBundles.sort(), kindViewTypes: kindViewTypes.sort() };
}

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
}

describe('faults: every webview has a strict CSP', () => {
  const all = panels();

  it('finds every panel the same in the manifest, webview/panels/ and src/ (a new panel is covered by this test)', () => {
    assert.ok(all.bundles.length >= 9, `found ${all.bundles.length} panels`);
    assert.deepEqual(all.kindBundles, all.bundles, 'each webview/panels/<name> has one PanelKind with bundle: <name>');
    assert.deepEqual(all.kindViewTypes, all.viewTypes, 'each panel view type activates the extension (onWebviewPanel)');
    console.log(`webviews: ${all.bundles.length} panels (${all.bundles.join(', ')})`);
  });

  it('builds every panel page through PanelHost and panelHtml: no other code creates a panel or writes webview HTML', () => {
    for (const rel of sourceFiles('src')) {
      const text = read(rel);
      if (rel === 'src/platform/webview-panel.ts') {
        assert.match(text, /panel\.webview\.html = panelHtml\(/);
        continue;
      }
      if (rel === 'src/platform/webview-html.ts') continue; // the page builder under test below
      assert.doesNotMatch(text, /createWebviewPanel|\.webview\.html\s*=|Content-Security-Policy|http-equiv/i, rel);
      if (/\bbundle: '/.test(text)) assert.match(text, /PanelHost/, `${rel} defines a panel kind: it must open through PanelHost`);
    }
  });

  for (const bundle of all.bundles) {
    it(`${bundle}: nonce-only scripts, nothing remote, no eval or inline script, only its own bundle`, () => {
      const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
      const base = `${cspSource}/ext/dist/webview/${bundle}`;
      const html = panelHtml({ title: `${bundle} <panel>`, cspSource, scriptUri: `${base}.js`, styleUri: `${base}.css` });
      const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
      assert.ok(csp, 'the page has a CSP');
      const d = directives(csp);
      const nonce = html.match(/<script nonce="([A-Za-z0-9]+)"/)?.[1];
      assert.ok(nonce && nonce.length >= 16, 'a nonce of at least 16 characters');
      assert.deepEqual(d.get('default-src'), ["'none'"]);
      assert.deepEqual(d.get('script-src'), [`'nonce-${nonce}'`]);
      for (const [name, values] of d) {
        for (const v of values) {
          assert.ok(!/^'unsafe-|^\*$|^https?:$|^https?:\/\/(?!file\+\.vscode-resource)/.test(v), `${name} ${v}`);
          if (v.startsWith("'nonce-")) assert.equal(v, `'nonce-${nonce}'`);
        }
      }
      assert.equal((html.match(/<script\b/g) ?? []).length, 1, 'one script tag');
      assert.match(html, new RegExp(`<script nonce="${nonce}" src="${base.replace(/[.+]/g, '\\$&')}\\.js"></script>`));
      assert.match(html, new RegExp(`<link rel="stylesheet" href="[^"]+" nonce="${nonce}">`));
      assert.match(html, new RegExp(`<meta property="csp-nonce" content="${nonce}">`));
      assert.doesNotMatch(html, /\son\w+=/i, 'no inline event handlers');
      assert.notEqual(panelHtml({ title: '', cspSource, scriptUri: `${base}.js`, styleUri: `${base}.css` }).match(/nonce-(\w+)/)?.[1], nonce, 'a fresh nonce per page');
    });

    it(`${bundle}: its built bundle loads nothing remote and needs no eval`, function () {
      const js = path.join(repo, 'dist/webview', `${bundle}.js`);
      if (!fs.existsSync(js)) this.skip(); // built by `node esbuild.mjs --tests` (npm test's first step)
      const code = fs.readFileSync(js, 'utf8');
      assert.doesNotMatch(code, /\bfetch\(|XMLHttpRequest|new WebSocket|\bimport\(|importScripts|src\s*=\s*["']https?:/);
      // The only Function constructor is the toolkit's guarded globalThis fallback, which the CSP makes throw into its catch.
      for (const m of code.matchAll(/new Function\(|[^.\w$]eval\(/g)) assert.match(code.slice(m.index! - 40, m.index), /try\s*\{\s*(return\s*)?$/, 'an unguarded eval');
      const css = fs.readFileSync(path.join(repo, 'dist/webview', `${bundle}.css`), 'utf8');
      assert.doesNotMatch(css, /url\(\s*["']?https?:|@import/);
    });

    it(`${bundle}: its built bundle binds no inline style attribute in markup (the CSP blocks and reports those)`, function () {
      const js = path.join(repo, 'dist/webview', `${bundle}.js`);
      if (!fs.existsSync(js)) this.skip();
      const code = fs.readFileSync(js, 'utf8');
      // Svelte's style: directives and chart.js write element.style (CSSOM: allowed); a style="…" in a template
      // (FAST's badge/tag) is an attribute. The one left is the progress ring's determinate circle, which only a
      // ring with a `value` renders: Spinner.svelte never gives one.
      const attrs = [...code.matchAll(/\bstyle="[^"]*"/g)].map((m) => m[0]);
      assert.deepEqual(attrs.filter((a) => !a.startsWith('style="stroke-dasharray: ${')), [], 'inline style attributes in templates');
      assert.doesNotMatch(code, /generateBadgeStyle/, 'the toolkit badge/tag (a style binding) is not registered');
      assert.doesNotMatch(read('webview/components/Spinner.svelte'), /\bvalue\b/, 'the progress ring stays indeterminate');
    });
  }
});
