// `npm run bench`: prints a table of figures, each a ratio against a baseline measured in the same
// run, and writes bench-results.json. Figures come from modules under out/test/bench/ (compiled
// TypeScript), from Python benches, and from a real extension host.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { extensionBuild } from '../../esbuild.extension.mjs';
import { repoRoot } from '../harness/code-server.mjs';
import { openWorkbench, scratchWorkspace } from '../harness/workbench-session.mjs';

const figures = [];
const add = (name, value, unit, baseline, baselineName) => figures.push({ name, value, unit, baseline, baselineName, ratio: value / baseline });

async function activation() {
  const session = await openWorkbench({
    workspace: scratchWorkspace(),
    testsPath: join(repoRoot, 'out/test/bench/activation-entry.js'),
    // Two empty extensions: the first only warms the host up, the second is the baseline.
    installed: emptyExtensions(['mlwb-bench-warmup', 'mlwb-bench-empty']),
  });
  try {
    const result = await new Promise(async (resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('activation bench: no result in 120 s')), 120_000);
      await session.page.exposeFunction('codeAutomationLog', (_t, args) => {
        const line = format(...(Array.isArray(args) ? args : [args]));
        if (process.env.MLWB_BENCH_DEBUG) console.error(line);
        const m = line.match(/MLWB_BENCH (.*)/);
        if (m) {
          clearTimeout(timer);
          resolve(JSON.parse(m[1]));
        }
      });
      await session.page.exposeFunction('codeAutomationExit', () => {});
      await session.page.goto(session.url);
    });
    add('activation in a real extension host', result.ours, 'ms', result.baseline, 'an empty extension, same host');
  } finally {
    await session.close();
  }
}

function emptyExtensions(names) {
  return names.map((name) => {
    const dir = mkdtempSync(join(tmpdir(), 'mlwb-bench-ext-'));
    cpSync(join(repoRoot, 'test/bench/empty-extension'), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, name }));
    return dir;
  });
}

async function bundleSizes() {
  const gz = (file) => gzipSync(readFileSync(file)).length;
  // Baseline: the same libraries taken whole (chart.js/auto, every toolkit component, Svelte's whole
  // client runtime), minified: what tree-shaking saves.
  const whole = await esbuild.build({
    stdin: {
      contents: "import 'chart.js/auto'; import * as toolkit from '@vscode/webview-ui-toolkit'; import * as svelte from 'svelte'; import * as rt from 'svelte/internal/client'; globalThis.keep = [toolkit, svelte, rt];",
      resolveDir: repoRoot,
    },
    conditions: ['svelte', 'browser'],
    bundle: true, minify: true, write: false, platform: 'browser', format: 'iife', logLevel: 'silent',
  });
  add('overview webview bundle (gzip)', gz(join(repoRoot, 'dist/webview/overview.js')), 'bytes', gzipSync(whole.outputFiles[0].contents).length, 'chart.js/auto + whole toolkit + whole Svelte runtime, minified, gzip');
  const unminified = await esbuild.build({
    ...extensionBuild, absWorkingDir: repoRoot, outfile: undefined, write: false, logLevel: 'silent',
  });
  add('extension bundle (gzip)', gz(join(repoRoot, 'dist/extension.js')), 'bytes', gzipSync(unminified.outputFiles[0].contents).length, 'same bundle unminified, gzip');
}

/** TypeScript benches: every out/test/bench/*-bench.js exports bench(): Promise<Figure[]>. */
async function moduleBenches() {
  const dir = join(repoRoot, 'out/test/bench');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('-bench.js')).sort()) {
    const mod = await import(join(dir, f));
    for (const fig of await mod.bench()) figures.push(fig);
  }
}

/** Python benches print {"figures": [...]} on stdout. */
function pythonBenches() {
  const dir = join(repoRoot, 'python-runner/bench');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((f) => f.startsWith('bench_') && f.endsWith('.py')).sort()) {
    const r = spawnSync('/usr/bin/python3', [join(dir, f)], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, PYTHONPATH: join(repoRoot, 'python-runner') } });
    if (r.status !== 0) throw new Error(`${f} failed:\n${r.stderr}`);
    for (const fig of JSON.parse(r.stdout.trim().split('\n').pop()).figures) {
      figures.push({ ...fig, baselineName: fig.baselineName ?? fig.baseline_name, ratio: fig.value / fig.baseline });
    }
  }
}

// `node test/bench/run.mjs [bundles] [modules] [python] [activation]` runs some groups only.
const groups = { bundles: bundleSizes, modules: moduleBenches, python: pythonBenches, activation };
const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(groups)) if (!wanted.length || wanted.includes(name)) await run();

writeFileSync(join(repoRoot, 'bench-results.json'), JSON.stringify({ when: new Date().toISOString(), figures }, null, 2));
const fmt = (n) => (typeof n !== 'number' || !Number.isFinite(n) ? 'n/a' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));
const ratio = (r) => (Number.isFinite(r) ? `${r < 0.01 ? r.toPrecision(2) : r.toFixed(2)}×` : 'n/a');
const rows = figures.map((f) => [f.name, `${fmt(f.value)} ${f.unit}`, `${fmt(f.baseline)} ${f.unit}`, f.baselineName, ratio(f.ratio)]);
const head = ['figure', 'value', 'baseline', 'baseline is', 'ratio'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
