import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { clickAway, contextMenu, journey, openContainer, page, paneBody, pointerAway, runCommand, screenshot, treeRow, waitForRow, webview, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');
const MODEL = 'iris-classifier';

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

journey('model registry journeys in the real workbench', () => {
  let runs: string[] = [];

  before(async () => {
    runs = [await train('3', '11'), await train('26', '12')];
    await openContainer();
  });

  const runRow = (name: string) => treeRow('Runs', name);
  const version = (n: number, hasText?: string) => ({ css: `[aria-label^="${MODEL} version ${n},"]`, hasText });
  const versionRow = (n: number) => treeRow('Models', version(n));
  const menu = (row: ReturnType<typeof runRow>, entry: string, shot?: string) => contextMenu(row, entry, shot ? () => screenshot(shot) : undefined);
  const pick = async (text: string) => {
    const row = page().locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await row.waitFor();
    await row.click();
  };
  /** Types into the input box that says `prompt` (the widget is reused: wait for the right one). */
  const type = async (prompt: string, value: string | undefined) => {
    await page().locator('.quick-input-widget', { hasText: prompt }).waitFor();
    const input = page().locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    if (value !== undefined) await input.fill(value);
    await page().keyboard.press('Enter');
  };
  /** Right-click a run → Register Model from File… → its model.pkl → a model → a description. */
  const register = async (run: string, model: 'new' | 'existing', description: string) => {
    await menu(await waitForRow('Runs', run), 'Register Model from File…');
    await pick('model.pkl');
    if (model === 'new') await type('as a new model', MODEL);
    else await pick(MODEL);
    await type('Description (optional)', description);
  };

  it("registers two versions from runs' context menus (quick pick of the run's files, a new model, then the existing one)", async () => {
    await register(runs[0], 'new', 'three trees');
    await waitForRow('Models', version(1));
    await register(runs[1], 'existing', '');
    await waitForRow('Models', version(2));
    assert.match(await paneBody('Models').locator('.monaco-list-row', { hasText: MODEL }).first().innerText(), /2 versions/);
  });

  it('promotes a version to Production from its right-click menu and its badge changes; the next one archives it and the user is told', async () => {
    assert.doesNotMatch(await versionRow(1).innerText(), /Production/);
    await menu(versionRow(1), 'Promote to Production', 'models-menu');
    await waitForRow('Models', version(1, 'Production'));

    await menu(versionRow(2), 'Promote to Production');
    await waitForRow('Models', version(2, 'Production'));
    await waitForRow('Models', version(1, 'Archived'));
    const toast = page().locator('.notifications-toasts .notification-list-item', { hasText: 'v1 was archived' });
    await toast.waitFor({ timeout: 15_000 });
    assert.match(await toast.innerText(), new RegExp(`${MODEL} v2 is now in Production; v1 was archived`));
    await screenshot('models-view');
    await runCommand('Notifications: Clear All Notifications');
  });

  it('sets an alias from the menu (input validated by MLflow rules) and shows it as a badge', async () => {
    await menu(versionRow(2), 'Set Alias…');
    const input = page().locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('latest');
    await page().locator('.quick-input-widget .quick-input-message', { hasText: 'reserved' }).waitFor();
    await type('Set Alias on', 'champion');
    await waitForRow('Models', version(2, '@champion'));
    assert.match(await versionRow(2).innerText(), /Production · @champion/);
  });

  it('opens the version panel: lineage, file, stage history, and metrics against Production', async () => {
    await clickAway(versionRow(1));
    const frame = webview();
    await frame.getByTestId('version-title').filter({ hasText: `${MODEL} v1` }).waitFor({ timeout: 30_000 });
    assert.equal(await frame.getByTestId('version-stage').innerText(), 'Archived');
    assert.equal(await frame.getByTestId('lineage-run').innerText(), runs[0]);
    assert.match(await frame.getByTestId('lineage-params').innerText(), /model\.trees\s+3/);
    assert.match(await frame.getByTestId('version-file').innerText(), /model\.pkl/);
    const history = await frame.getByTestId('stage-history').innerText();
    assert.match(history, /Registered \(None\)/);
    assert.match(history, /None → Production/);
    assert.match(history, /Production → Archived\s+v2 was promoted to Production/);
    assert.match(await frame.getByTestId('comparison-note').innerText(), /v2, the Production version/);
    const table = await frame.getByTestId('metrics-comparison').innerText();
    assert.match(table, /eval\/accuracy/);
    assert.match(table, /v2 \(Production\)/);
    // The comparison chart is really drawn.
    const painted = await frame.getByTestId('chart-canvas').evaluate((c: HTMLCanvasElement) => {
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    });
    assert.ok(painted > 100, `chart painted ${painted} pixels`);
    await runCommand('Notifications: Clear All Notifications');
    await screenshot('version-panel');

    // Lineage links to the run: its dashboard opens in a tab of its own.
    const suffix = runs[0].split('-').pop()!;
    await frame.getByRole('button', { name: `Open run ${runs[0]}` }).click();
    const tab = page().locator('.tabs-container .tab', { hasText: suffix });
    await tab.waitFor({ timeout: 30_000 });
    await tab.hover();
    await tab.locator('.tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached' });
    await pointerAway();
  });

  it('deletes a version after the modal confirmation, and it leaves the view and the open panel says so', async () => {
    await menu(versionRow(1), 'Delete Version…');
    const dialog = page().locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), new RegExp(`Delete ${MODEL} v1\\?`));
    await dialog.locator('.monaco-button', { hasText: 'Delete' }).click();
    await waitForRow('Models', version(1), { state: 'detached' });
    await webview().getByTestId('version-gone').waitFor({ timeout: 15_000 });
  });
});
