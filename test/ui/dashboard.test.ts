import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Locator } from 'playwright-core';
import { clickAway, inView, journey, openContainer, page, pointerAway, runCommand, screenshot, until, waitForRow, webview, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');
const STEPS = 40;
/** The training curve the fixture script logs, so the test knows what the store holds. */
const loss = (step: number, lr: number) => Math.round((1 / (1 + step * lr * 10)) * 1e6) / 1e6;

const FIXTURE = `
import sys
from mlwb import Experiment
name, lr, steps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
with Experiment("dashboard/ui", run_name=name, tags=["ui"]).run as exp:
    exp.params.set(lr=lr, seed=7, optimizer="adam")
    for step in range(steps):
        exp.metrics("train").log(step=step, loss=round(1 / (1 + step * lr * 10), 6))
        if step % 5 == 0:
            exp.metrics("eval").log(step=step, acc=round(1 - 1 / (2 + step * lr * 10), 6))
        exp.metrics("system").log(step=step, cpu=50 + step % 7)
    exp.logs.info("training done", steps=steps)
    exp.logs.warn("learning rate may be too high")
    exp.files("out").save_json({"lr": lr}, to="summary.json")
`;

/** A script written for MLflow (the stand-in runs it): a parent run and two nested ones, and a tag. */
const NESTED = `
import mlflow
mlflow.set_experiment("dashboard/ui")
with mlflow.start_run(run_name="nested-sweep"):
    mlflow.set_tag("team", "ui")
    for name, lr in (("trial-a", 0.1), ("trial-b", 0.01)):
        with mlflow.start_run(run_name=name, nested=True):
            mlflow.log_param("lr", lr)
            for step in range(5):
                mlflow.log_metric("loss", 1 / (1 + step * lr * 10), step=step)
`;

async function train(name: string, lr: number): Promise<void> {
  await promisify(execFile)('/usr/bin/python3', ['dash_fixture.py', name, String(lr), String(STEPS)], {
    cwd: workspace(),
    env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), '.mlwb') },
  });
}

/** The hidden table of a chart's charted points, as [series, step, value] rows. */
async function chartedPoints(key: string): Promise<string[][]> {
  return webview()
    .locator(`figure[data-key="${key}"] [data-testid="chart-data"] tbody tr`)
    .evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent ?? '')));
}

async function waitForRows(key: string, check: (rows: string[][]) => boolean, what: string): Promise<string[][]> {
  return until(async () => {
    const rows = await chartedPoints(key);
    return check(rows) && rows;
  }, what, {
    timeout: 20_000,
    seen: async () => {
      const rows = await chartedPoints(key);
      return `${rows.length} rows, the first ${JSON.stringify(rows.slice(0, 5))}`;
    },
  });
}

const button = (label: string): Locator => webview().locator(`vscode-button[aria-label="${label}"]`);

journey('run dashboard and comparison in the real workbench', () => {
  const names = ['dash-fast', 'dash-mid', 'dash-slow'];
  const rates = [0.1, 0.05, 0.01];

  before(async () => {
    writeFileSync(join(workspace(), 'dash_fixture.py'), FIXTURE);
    for (let i = 0; i < names.length; i++) await train(names[i], rates[i]);
    await openContainer();
    for (const name of names) await waitForRow('Runs', name);
  });

  it('opens a run from the palette and charts exactly the points the store holds', async () => {
    await runCommand('MLOps Workbench: Open Run');
    const input = page().locator('.quick-input-widget .quick-input-box input');
    await input.fill(names[0]);
    await page().locator('.quick-input-widget .monaco-list-row', { hasText: names[0] }).first().waitFor();
    await page().keyboard.press('Enter');
    const frame = webview();
    await frame.getByTestId('run-name').filter({ hasText: names[0] }).waitFor({ timeout: 30_000 });
    // Header, params, files, logs.
    assert.match(await frame.locator('header.run-header').innerText(), /dashboard\/ui|ui[\s\S]*Python 3/);
    assert.deepEqual(
      await frame.locator('[data-testid="run-params"] tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent)),
      ['lr0.1', 'optimizeradam', 'seed7'],
    );
    await frame.getByTestId('run-files').getByText('out/summary.json').waitFor();
    // Every point of the short series is charted, with the value the script logged.
    const rows = await waitForRows('train/loss', (r) => r.length === STEPS, `${STEPS} charted points`);
    assert.deepEqual(rows.map((r) => [r[0], Number(r[1]), Number(r[2])]), Array.from({ length: STEPS }, (_, s) => [names[0], s, loss(s, rates[0])]));
    assert.equal((await chartedPoints('eval/acc')).length, STEPS / 5);
    // Charts are grouped by prefix, train first, system last.
    assert.deepEqual(await frame.locator('section.metrics h3').allInnerTexts(), ['train', 'eval', 'system']);
    await inView(frame.locator('figure[data-key="train/loss"] canvas'));
    await screenshot('run-dashboard');
    // Narrow: the header, controls and charts wrap into one column.
    const width = () => frame.locator('body').evaluate((b) => ({ body: b.clientWidth, chart: b.querySelector('figure[data-key="train/loss"] canvas')!.getBoundingClientRect().width }));
    const wide = await width();
    await page().setViewportSize({ width: 760, height: 900 });
    try {
      await until(async () => {
        const w = await width();
        return w.body < wide.body && w.chart <= w.body && w;
      }, 'the panel and its charts to take the narrow width', { seen: width });
      await inView(frame.locator('figure[data-key="train/loss"] canvas'));
      await screenshot('run-dashboard-narrow');
    } finally {
      await page().setViewportSize({ width: 1400, height: 900 });
    }
  });

  it('zooms with the keyboard-accessible buttons: the host re-sends only the visible range, and Reset brings all back', async () => {
    await button('Zoom in on train/loss').click();
    await button('Zoom in on train/loss').click();
    const zoomed = await waitForRows('train/loss', (r) => r.length > 0 && r.length < STEPS, 'the zoomed range');
    const steps = zoomed.map((r) => Number(r[1]));
    assert.ok(steps[0] > 0 && steps.at(-1)! < STEPS - 1, `zoomed steps ${steps[0]}…${steps.at(-1)}`);
    assert.deepEqual(steps, Array.from({ length: steps.length }, (_, i) => steps[0] + i), 'every point of the range, none skipped');
    await webview().locator('figure[data-key="train/loss"] [data-testid="chart-note"]').filter({ hasText: 'Zoomed to' }).waitFor();
    await screenshot('run-dashboard-zoomed');
    await button('Reset zoom of train/loss').click();
    await waitForRows('train/loss', (r) => r.length === STEPS, 'all points after the reset');
  });

  it('filters the logs by search and adds a tag', async () => {
    const frame = webview();
    const search = frame.locator('vscode-text-field[data-testid="logs-search"] input');
    await search.fill('learning rate');
    await search.press('Enter');
    await frame.getByTestId('logs-total').filter({ hasText: /^1$/ }).waitFor();
    assert.match(await frame.getByTestId('logs-lines').innerText(), /learning rate may be too high/);
    const tag = frame.locator('vscode-text-field[data-testid="add-tag"] input');
    await tag.fill('best');
    await tag.press('Enter');
    await frame.getByTestId('run-tags').getByText('best', { exact: true }).waitFor({ timeout: 15_000 });
  });

  it('compares the three runs selected in the Runs view: three overlays and only the params that differ', async () => {
    await runCommand('View: Close All Editors');
    await openContainer();
    const rows = await Promise.all(names.map((n) => waitForRow('Runs', n)));
    await clickAway(rows[0]);
    await clickAway(rows[1], { modifiers: ['Control'] });
    await clickAway(rows[2], { modifiers: ['Control'] });
    const header = page().locator('.pane-header', { hasText: 'Runs' });
    await header.hover();
    await header.locator('.actions a[aria-label="Compare Selected Runs"]').click();
    await pointerAway();
    const frame = webview();
    await frame.getByRole('heading', { name: 'Comparing 3 runs' }).waitFor({ timeout: 30_000 });
    const overlay = await waitForRows('train/loss', (r) => new Set(r.map((x) => x[0])).size === 3, 'three overlaid runs');
    for (let i = 0; i < names.length; i++) {
      const line = overlay.filter((r) => r[0] === names[i]);
      assert.equal(line.length, STEPS, `${names[i]}: every point`);
      assert.equal(Number(line[10][2]), loss(10, rates[i]));
    }
    const params = await frame.locator('[data-testid="params-diff"] tbody th').allInnerTexts();
    assert.deepEqual(params, ['lr'], 'only the params that differ, by default');
    assert.equal(await frame.locator('[data-testid="summary-table"] tbody tr').count(), 3);
    await frame.getByTestId('parallel-coordinates').waitFor();
    await screenshot('compare-runs');
    await inView(frame.getByTestId('parallel-coordinates'));
    await screenshot('compare-runs-params');
  });

  it('recolours the charts when the theme changes', async () => {
    const frame = webview();
    const chart = frame.locator('figure[data-key="train/loss"]');
    const colours = () => chart.getAttribute('data-colors');
    const themeBlue = () => frame.locator('body').evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-charts-blue').trim());
    const before = await colours();
    assert.equal(before?.split(' ')[0], await themeBlue());
    await runCommand('Preferences: Toggle between Light/Dark Themes');
    try {
      await frame.locator('body.vscode-dark, body.vscode-high-contrast').waitFor({ timeout: 15_000 });
      const after = await until(async () => {
        const now = await colours();
        return now !== before && now;
      }, 'the chart colours to change with the theme', { seen: colours });
      assert.equal(after?.split(' ')[0], await themeBlue());
      await inView(chart);
      await screenshot('compare-runs-dark');
    } finally {
      await runCommand('Preferences: Toggle between Light/Dark Themes');
    }
  });

  it('links an MLflow nested run and its parent both ways', async () => {
    writeFileSync(join(workspace(), 'nested_fixture.py'), NESTED);
    await promisify(execFile)('/usr/bin/python3', ['-m', 'mlwb', 'run', 'nested_fixture.py'], {
      cwd: workspace(),
      env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), '.mlwb') },
    });
    await waitForRow('Runs', 'nested-sweep', { timeout: 30_000 });
    await runCommand('MLOps Workbench: Open Run');
    await page().locator('.quick-input-widget .quick-input-box input').fill('nested-sweep');
    await page().locator('.quick-input-widget .monaco-list-row', { hasText: 'nested-sweep' }).first().waitFor();
    await page().keyboard.press('Enter');
    const children = webview().getByTestId('run-children');
    await children.getByText('trial-b').waitFor({ timeout: 30_000 });
    assert.equal(await children.innerText(), 'trial-a, trial-b');
    await webview().getByText('team=ui').first().waitFor();
    await screenshot('run-dashboard-nested-parent');
    await children.getByRole('button', { name: 'trial-b' }).click();
    await webview().getByTestId('run-name').filter({ hasText: 'trial-b' }).waitFor({ timeout: 30_000 });
    assert.equal(await webview().getByTestId('run-parent').innerText(), 'nested-sweep');
    await screenshot('run-dashboard-nested-child');
  });
});
