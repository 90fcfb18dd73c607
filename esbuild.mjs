// Builds the extension (Node, CJS), one browser bundle per webview panel, and (--tests) the
// TypeScript tests and benches, file by file, into out/.
//   node esbuild.mjs [--production] [--watch] [--tests]
import * as esbuild from 'esbuild';
import sveltePlugin from 'esbuild-svelte';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extensionBuild } from './esbuild.extension.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

const common = { sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

/** Every webview panel is a folder under webview/panels/ with a main.ts. */
const panels = readdirSync('webview/panels').filter((d) => statSync(join('webview/panels', d, 'main.ts'), { throwIfNoEntry: false }));

const builds = [
  { ...common, ...extensionBuild },
  {
    ...common,
    entryPoints: Object.fromEntries(panels.map((p) => [p, `webview/panels/${p}/main.ts`])),
    bundle: true,
    // 'browser': with 'node' svelte resolves to its server build, whose mount() throws.
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outdir: 'dist/webview',
    conditions: ['svelte', 'browser'],
    mainFields: ['svelte', 'browser', 'module', 'main'],
    // css 'external' (the default): an injected <style> carries no nonce and the CSP blocks it.
    plugins: [sveltePlugin({ compilerOptions: { dev: !production } })],
  },
];

if (tests) {
  // A renamed or deleted test must not live on as a stale compiled file (MLWB_KEEP_OUT=1 keeps out/
  // for several builds running side by side).
  if (!process.env.MLWB_KEEP_OUT) rmSync('out', { recursive: true, force: true });
  const files = [...walk('src'), ...walk('test')].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  builds.push({ ...common, sourcemap: true, minify: false, entryPoints: files, outdir: 'out', outbase: '.', bundle: false, platform: 'node', format: 'cjs', target: 'node20' });
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'fixtures' ? [] : walk(p);
    return [p];
  });
}

/** sql.js's wasm ships next to the bundle and is loaded from disk, never from the network. */
function copyAssets() {
  mkdirSync('dist', { recursive: true });
  copyFileSync('node_modules/sql.js/dist/sql-wasm.wasm', 'dist/sql-wasm.wasm');
}

copyAssets();
if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('watching for changes…');
} else {
  const started = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built ${panels.length} panel(s)${tests ? ' + tests' : ''} in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}
