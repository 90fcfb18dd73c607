import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { contextMenu, openContainer, page, paneBody, runCommand, screenshot, webview, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');
// A store of its own (`mlwb.storePath` pointed elsewhere, then restored), so the other journeys see theirs.
const STORE = '.mlwb-explain';

describe('explain a model in the real workbench', () => {
  let run = { id: '', name: '' };

  const settingsFile = () => join(workspace(), '.vscode/settings.json');
  let settings = '';

  before(async () => {
    settings = readFileSync(settingsFile(), 'utf8');
    writeFileSync(settingsFile(), JSON.stringify({ ...JSON.parse(settings), 'mlwb.storePath': STORE }));
    const dir = join(workspace(), STORE, 'runs');
    const ids = () => (existsSync(dir) ? readdirSync(dir) : []);
    const before = new Set(ids());
    await promisify(execFile)('/usr/bin/python3', ['train.py', '--trees', '16', '--seed', '5'], {
      cwd: workspace(),
      env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), STORE) },
    });
    const id = ids().find((i) => !before.has(i))!;
    run = { id, name: (JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')) as { name: string }).name };
    await openContainer();
    await runCommand('View: Close All Editors');
  });

  after(async () => {
    await runCommand('View: Close All Editors');
    writeFileSync(settingsFile(), settings);
    await paneBody('Runs').locator('.monaco-list-row', { hasText: run.name }).waitFor({ state: 'detached', timeout: 30_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await screenshot(`explain-failed-${this.currentTest.title.slice(0, 30).replace(/\W+/g, '-')}`);
  });

  const pick = async (text: string) => {
    const row = page().locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
  };

  it("Explain Model… from a run's context menu: the data and label pickers, the pickle warning, progress, then the panel", async () => {
    const row = paneBody('Runs').locator('.monaco-list-row', { hasText: run.name });
    await row.waitFor({ timeout: 30_000 });
    await contextMenu(row, 'Explain Model…');
    // The run saved one model file (model/model.pkl): no question about it. Then the data, then the label.
    await pick('data/iris.csv');
    await page().locator('.quick-input-widget', { hasText: 'Target column of iris.csv' }).waitFor();
    await pick('species');
    const dialog = page().locator('.monaco-dialog-box', { hasText: 'Loading a pickle runs code' });
    await dialog.waitFor();
    await screenshot('explain-pickle-warning');
    await dialog.locator('.monaco-button', { hasText: 'Explain' }).first().click();

    const table = webview().locator('[data-testid="importance-table"]');
    await table.waitFor({ state: 'attached', timeout: 90_000 });
    const file = join(workspace(), STORE, 'runs', run.id, 'files', 'explain', 'explain.json');
    const written = JSON.parse(readFileSync(file, 'utf8')) as { importance: { feature: string; meanAbsShap: number }[] };
    const first = table.locator('tbody tr').first();
    assert.equal((await first.locator('th').textContent())?.trim(), written.importance[0].feature);
    assert.equal(Number(await first.locator('td').nth(1).textContent()), written.importance[0].meanAbsShap);
    assert.equal(await webview().locator('[data-testid="explain-chart"]').count() >= 6, true, 'importance, permutation, beeswarm, dependence, waterfall, PDPs');
    assert.match((await webview().locator('[data-testid="explain-title"]').textContent()) ?? '', new RegExp(run.name));
    await page().waitForTimeout(800);
    await screenshot('explain-panel');
  });

  it('switches the output (class): the waterfall and importance follow', async () => {
    const dropdown = webview().locator('vscode-dropdown[aria-label="Output"]');
    await dropdown.click();
    await webview().locator('vscode-option', { hasText: 'P(virginica)' }).click();
    await webview().locator('figure[data-chart="waterfall"] figcaption', { hasText: 'P(virginica)' }).waitFor();
    assert.match((await webview().locator('figure[data-chart="importance"] figcaption').textContent()) ?? '', /P\(virginica\)/);
    const shownRow = await webview().locator('[data-testid="waterfall-table"]').getAttribute('data-row');
    await page().waitForTimeout(300);
    assert.equal(await webview().locator('vscode-dropdown[aria-label="Row"]').evaluate((el) => (el as HTMLElement & { value: string }).value), shownRow, 'the row picker shows the row drawn');
    await webview().locator('figure[data-chart="waterfall"]').scrollIntoViewIfNeeded();
    await page().waitForTimeout(500);
    await screenshot('explain-panel-waterfall');
  });
});
