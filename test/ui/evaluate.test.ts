import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { contextMenu, inView, journey, openContainer, page, runCommand, screenshot, settled, treeRow, waitForRow, webview, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');
const MODEL = 'gated-iris';

/** Trains the example with the real SDK in the workbench's workspace; returns the new run's name. */
async function train(trees: string, seed: string): Promise<string> {
  const dir = join(workspace(), '.mlwb', 'runs');
  const ids = () => (existsSync(dir) ? readdirSync(dir) : []);
  const before = new Set(ids());
  await promisify(execFile)('/usr/bin/python3', ['train.py', '--trees', trees, '--seed', seed], {
    cwd: workspace(),
    env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), '.mlwb') },
  });
  const id = ids().find((i) => !before.has(i))!;
  return (JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')) as { name: string }).name;
}

journey('promotion gate and evaluation panel in the real workbench', () => {
  let runs: string[] = [];

  before(async () => {
    runs = [await train('2', '21'), await train('30', '22')];
    await openContainer();
  });

  const version = (n: number, hasText?: string) => ({ css: `[aria-label^="${MODEL} version ${n},"]`, hasText });
  const versionRow = (n: number) => treeRow('Models', version(n));
  const pick = async (text: string, title?: string) => {
    if (title) await page().locator('.quick-input-widget', { hasText: title }).waitFor({ timeout: 30_000 });
    const row = page().locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
  };
  const type = async (prompt: string, value: string) => {
    await page().locator('.quick-input-widget', { hasText: prompt }).waitFor();
    await page().locator('.quick-input-widget .quick-input-box input').fill(value);
    await page().keyboard.press('Enter');
  };
  const agree = async (what: string) => {
    const dialog = page().locator('.monaco-dialog-box', { hasText: `Load ${what}?` });
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.locator('.monaco-button', { hasText: 'Evaluate' }).first().click();
  };

  it('registers two versions and promotes the first (no pinned data: no gate)', async () => {
    for (const [i, run] of runs.entries()) {
      await contextMenu(await waitForRow('Runs', run), 'Register Model from File…');
      await pick('model.pkl');
      if (i === 0) await type('as a new model', MODEL);
      else await pick(MODEL);
      await type('Description (optional)', '');
      await waitForRow('Models', version(i + 1));
    }
    await contextMenu(versionRow(1), 'Promote to Production');
    await waitForRow('Models', version(1, 'Production'));
    await runCommand('Notifications: Clear All Notifications');
  });

  it('Set Evaluation Data… from the model’s menu: the CSV, then the target column from its header', async () => {
    await contextMenu(await waitForRow('Models', MODEL), 'Set Evaluation Data…');
    await pick('data/iris.csv', 'Evaluation data of');
    await pick('species', 'Target column of iris.csv');
    await page().locator('.notifications-toasts .notification-list-item', { hasText: 'as the evaluation data of' }).waitFor({ timeout: 15_000 });
    await runCommand('Notifications: Clear All Notifications');
  });

  it('right-click → Promote to Production → the gate (evaluation against Production, smoke test) → confirm → the badge changes', async () => {
    await contextMenu(versionRow(2), 'Promote to Production');
    await agree(`${MODEL} v2`);
    await agree(`${MODEL} v1`);
    const gate = page().locator('.monaco-dialog-box', { hasText: 'The promotion gate' });
    await gate.waitFor({ timeout: 120_000 });
    const text = await gate.innerText();
    assert.match(text, /accuracy: [\d.]+ \(gated-iris v2\) vs [\d.]+ \(Production v1\)/);
    assert.match(text, /Serving smoke test: 200 requests, 0 errors/);
    assert.match(text, /Signature/);
    await screenshot('promotion-gate');
    await gate.locator('.monaco-button', { hasText: /^Promote( Anyway)?$/ }).first().click();
    await waitForRow('Models', version(2, 'Production'));
    await waitForRow('Models', version(1, 'Archived'));
  });

  it('the evaluation panel shows the comparison the gate decided on: metrics with deltas, bootstrap, McNemar, confusion, curves', async () => {
    const frame = webview();
    await frame.getByTestId('evaluation-title').filter({ hasText: 'Promotion gate' }).waitFor({ timeout: 30_000 });
    const accuracy = frame.locator('[data-testid="metrics-table"] tr[data-metric="accuracy"]');
    await accuracy.waitFor({ state: 'attached' });
    assert.equal(await accuracy.locator('td').count(), 3, 'A, B and Δ');
    assert.match(await frame.getByTestId('bootstrap').innerText(), /95% bootstrap interval \[/);
    assert.match(await frame.getByTestId('mcnemar').innerText(), /p = /);
    assert.equal(await frame.locator('[data-testid="confusion-table"]').count(), 2);
    assert.equal(await frame.locator('[data-testid="curve-table"][data-kind="roc"] tbody tr').count() >= 2, true);
    await settled(frame.locator('[data-testid="explain-chart"]').first());
    await screenshot('evaluation-panel');
    await inView(frame.locator('figure[data-chart="roc"]'));
    await screenshot('evaluation-panel-curves');
  });
});
