// MetricChart mounted alone in Debian's Chromium (no workbench): built here with the same esbuild +
// esbuild-svelte setup as the panels, driven through a small harness component.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

const repo = resolve(__dirname, '../../../..');

const HARNESS = `<script lang="ts">
  import { Chart } from 'chart.js';
  import MetricChart from '${repo}/webview/charts/MetricChart.svelte';
  const w = window as any;
  let lines = $state.raw(w.initialLines);
  let logScale = $state(false);
  let smoothing = $state(0);
  w.harness = {
    calls: [],
    setLogScale: (v: boolean) => (logScale = v),
    setSmoothing: (v: number) => (smoothing = v),
    setLines: (l: unknown) => (lines = l),
    chart: () => Chart.getChart(document.querySelector('canvas')!),
  };
</script>
<MetricChart title="train/loss" {lines} xAxis="step" {smoothing} {logScale}
  onzoom={(r) => w.harness.calls.push(['zoom', r ?? null])}
  onexportcsv={(r) => w.harness.calls.push(['csv', r ?? null])}
  onexportpng={(u) => w.harness.calls.push(['png', u.slice(0, 22)])} />
`;

const line = (n: number, f: (i: number) => number) => ({
  id: 'r1', label: 'run one', color: '#3794ff', total: n,
  x: Array.from({ length: n }, (_, i) => i), step: Array.from({ length: n }, (_, i) => i), y: Array.from({ length: n }, (_, i) => f(i)),
});

describe('MetricChart component in Chromium', () => {
  let dir = '';
  let context: BrowserContext;
  let page: Page;
  const calls = () => page.evaluate(() => (window as any).harness.calls as [string, unknown][]);

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'mlwb-component-'));
    writeFileSync(join(dir, 'Harness.svelte'), HARNESS);
    writeFileSync(join(dir, 'main.ts'), `import { mount } from 'svelte';\nimport Harness from './Harness.svelte';\nmount(Harness, { target: document.body });\n`);
    const esbuild = await import('esbuild');
    // esbuild-svelte is an ES module typed as such; from these CommonJS tests its default export is the plugin.
    const sveltePlugin = (await import('esbuild-svelte')).default as unknown as (opts: object) => import('esbuild').Plugin;
    await esbuild.build({
      entryPoints: [join(dir, 'main.ts')], bundle: true, outfile: join(dir, 'out.js'), platform: 'browser', format: 'iife', logLevel: 'silent',
      conditions: ['svelte', 'browser'], mainFields: ['svelte', 'browser', 'module', 'main'], nodePaths: [join(repo, 'node_modules')],
      plugins: [sveltePlugin({ compilerOptions: { dev: true } })],
    });
    const initial = JSON.stringify([line(50, (i) => 1 / (1 + i))]);
    writeFileSync(join(dir, 'index.html'), `<!DOCTYPE html><html><head><link rel="stylesheet" href="out.css">
<style>:root { --vscode-foreground: #333; --vscode-editor-background: #fff; --vscode-charts-blue: #1a85ff; } body { width: 600px; }</style>
<script>window.initialLines = ${initial};</script></head><body><script src="out.js"></script></body></html>`);
    const harness = await import(resolve(repo, 'test/harness/code-server.mjs'));
    context = await harness.launchBrowser();
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    await page.getByTestId('chart-data').waitFor({ state: 'attached' });
  });

  after(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every charted point in its hidden table and draws them', async () => {
    const table = page.getByTestId('chart-data');
    assert.equal(await table.getAttribute('data-points'), '50');
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    assert.deepEqual(rows[3], ['run one', '3', '0.25']);
    assert.equal(rows.length, 50);
    assert.equal(await page.evaluate(() => (window as any).harness.chart().data.datasets[0].data.length), 50);
  });

  it('reports the visible range after the zoom buttons, and none after Reset', async () => {
    await page.locator('vscode-button[aria-label="Zoom in on train/loss"]').click();
    await page.waitForFunction(() => (window as any).harness.calls.some((c: [string]) => c[0] === 'zoom'));
    const [, range] = (await calls()).find((c) => c[0] === 'zoom') as [string, [number, number]];
    assert.ok(range[0] > 0 && range[1] < 49 && range[0] < range[1], `zoomed to ${range}`);
    await page.locator('vscode-button[aria-label="Export the data of train/loss as CSV"]').click();
    assert.deepEqual((await calls()).at(-1), ['csv', range], 'CSV export asks for the visible range');
    await page.locator('vscode-button[aria-label="Reset zoom of train/loss"]').click();
    await page.waitForFunction(() => {
      const c = (window as any).harness.calls;
      return c.at(-1)[0] === 'zoom' && c.at(-1)[1] === null;
    });
  });

  it('exports a PNG data URL', async () => {
    await page.locator('vscode-button[aria-label="Export train/loss as PNG"]').click();
    assert.deepEqual((await calls()).at(-1), ['png', 'data:image/png;base64,']);
  });

  it('draws a faint raw line under the EMA when smoothing, and leaves non-positive values out on a log scale', async () => {
    await page.evaluate(() => (window as any).harness.setSmoothing(0.6));
    const datasets = await page.evaluate(() => (window as any).harness.chart().data.datasets.map((d: { label: string; data: { y: number }[] }) => [d.label, d.data[1].y]));
    assert.deepEqual(datasets.map((d: unknown[]) => d[0]), ['run one (raw)', 'run one']);
    assert.equal(datasets[0][1], 0.5);
    assert.ok(Math.abs(datasets[1][1] - (0.4 * 1 * 0.6 + 0.4 * 0.5) / (1 - 0.36)) < 1e-12, 'debiased EMA of the first two points');
    await page.evaluate(() => (window as any).harness.setSmoothing(0));
    await page.evaluate(() => (window as any).harness.setLines([{ id: 'r', label: 'r', color: '#3794ff', total: 3, x: [0, 1, 2], step: [0, 1, 2], y: [0, 10, 100] }]));
    await page.evaluate(() => (window as any).harness.setLogScale(true));
    const state = await page.evaluate(() => {
      const c = (window as any).harness.chart();
      return { type: c.options.scales.y.type, ys: c.data.datasets[0].data.map((p: { y: number | null }) => p.y) };
    });
    assert.deepEqual(state, { type: 'logarithmic', ys: [null, 10, 100] });
  });
});
