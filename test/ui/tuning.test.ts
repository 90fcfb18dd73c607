import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { contextMenu, inView, journey, openContainer, screenshot, waitForRow, webview, workspace } from './workbench';

const TRIALS = 14;
const repo = resolve(__dirname, '../../..');

journey('tuning panel in the real workbench', () => {
  before(async function () {
    this.timeout(240_000);
    // The SGD example: a script objective with intermediate values and the median pruner (real optuna).
    for (const f of ['objective.py', 'sgd.json']) copyFileSync(join(repo, 'python-runner/examples/tuning', f), join(workspace(), f));
    await promisify(execFile)('/usr/bin/python3', ['-m', 'mlwb', 'tune', '--spec', 'sgd.json', '--n-trials', String(TRIALS), '--seed', '0'], {
      cwd: workspace(),
      env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), '.mlwb'), MLWB_RPC_PIPE: '' },
    });
    await openContainer();
    await waitForRow('Runs', 'sgd-digits');
  });

  it('opens from the run’s context menu and shows every trial in a sortable table, with the plots', async () => {
    // The session ran while the store was being opened: the row catches up by itself, no Refresh needed.
    await contextMenu(await waitForRow('Runs', { css: '[aria-label*=", completed"]', hasText: 'sgd-digits' }), 'Open Tuning Session');
    const frame = webview();
    await frame.locator('h1', { hasText: 'sgd-digits' }).waitFor({ timeout: 60_000 });
    const table = frame.getByTestId('trial-table');
    await table.locator('tbody tr').nth(TRIALS - 1).waitFor({ timeout: 30_000 });
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th, td'), (c) => c.textContent?.trim() ?? '')));
    assert.equal(rows.length, TRIALS);
    assert.deepEqual(rows.map((r) => Number(r[0].replace('★', ''))), Array.from({ length: TRIALS }, (_, i) => i), 'by trial number');
    assert.ok(rows.every((r) => ['complete', 'pruned', 'fail'].includes(r[1])), `states: ${rows.map((r) => r[1])}`);
    const headers = (await table.locator('thead th').allInnerTexts()).map((h) => h.replace(/[▲▼]/g, '').trim());
    assert.deepEqual(headers.slice(0, 3), ['#', 'State', 'value']);
    assert.equal(await table.locator('thead th').first().getAttribute('aria-sort'), 'ascending');
    assert.ok(headers.includes('alpha') && headers.includes('loss'), `params as columns: ${headers}`);
    // Sort by value, best (highest accuracy) first: descending after two clicks.
    const valueHeader = table.locator('thead th', { hasText: 'value' });
    await valueHeader.locator('button').click();
    await valueHeader.locator('button').click();
    assert.equal(await valueHeader.getAttribute('aria-sort'), 'descending');
    const sorted = await table.locator('tbody tr td:nth-of-type(2)').allInnerTexts();
    const values = sorted.map(Number).filter((v) => !Number.isNaN(v));
    assert.deepEqual(values, [...values].sort((a, b) => b - a));
    assert.match(await frame.getByTestId('best-trial').innerText(), /Best: trial \d+, value = 0\.\d+/);
    // The plots are there: history (with its data table), importance, slices, contour, intermediate values, EDF.
    for (const id of ['history-0', 'importance', 'slice-alpha', 'slice-loss', 'edf', 'intermediate', 'contour']) await frame.getByTestId(id).first().waitFor();
    const history = await frame.locator('[data-testid="history-0"] [data-testid="chart-data"] tbody tr').count();
    assert.ok(history >= TRIALS, `history table rows ${history}`);
    await inView(frame.locator('h1'));
    await screenshot('tuning-panel');
    await inView(frame.getByTestId('contour'));
    await screenshot('tuning-panel-contour');
  });
});
