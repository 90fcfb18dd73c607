import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { contextMenu, inView, journey, openContainer, page, screenshot, settled, until, waitForRow, webview, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');

journey('explain a model in the real workbench', () => {
  let run = { id: '', name: '' };

  before(async () => {
    const dir = join(workspace(), '.mlwb', 'runs');
    const ids = () => (existsSync(dir) ? readdirSync(dir) : []);
    const before = new Set(ids());
    await promisify(execFile)('/usr/bin/python3', ['train.py', '--trees', '16', '--seed', '5'], {
      cwd: workspace(),
      env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), '.mlwb') },
    });
    const id = ids().find((i) => !before.has(i))!;
    run = { id, name: (JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')) as { name: string }).name };
    await openContainer();
  });

  const pick = async (text: string) => {
    const row = page().locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
  };

  it("Explain Model… from a run's context menu: the data and label pickers, the pickle warning, progress, then the panel", async () => {
    await contextMenu(await waitForRow('Runs', run.name), 'Explain Model…');
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
    const file = join(workspace(), '.mlwb', 'runs', run.id, 'files', 'explain', 'explain.json');
    const written = JSON.parse(readFileSync(file, 'utf8')) as { importance: { feature: string; meanAbsShap: number }[] };
    const first = table.locator('tbody tr').first();
    assert.equal((await first.locator('th').textContent())?.trim(), written.importance[0].feature);
    assert.equal(Number(await first.locator('td').nth(1).textContent()), written.importance[0].meanAbsShap);
    assert.equal(await webview().locator('[data-testid="explain-chart"]').count() >= 6, true, 'importance, permutation, beeswarm, dependence, waterfall, PDPs');
    assert.match((await webview().locator('[data-testid="explain-title"]').textContent()) ?? '', new RegExp(run.name));
    await settled(webview().locator('[data-testid="explain-chart"]').first());
    await screenshot('explain-panel');
  });

  it('switches the output (class): the waterfall and importance follow', async () => {
    const dropdown = webview().locator('vscode-dropdown[aria-label="Output"]');
    await dropdown.click();
    await webview().locator('vscode-option', { hasText: 'P(virginica)' }).click();
    await webview().locator('figure[data-chart="waterfall"] figcaption', { hasText: 'P(virginica)' }).waitFor();
    assert.match((await webview().locator('figure[data-chart="importance"] figcaption').textContent()) ?? '', /P\(virginica\)/);
    const shownRow = await webview().locator('[data-testid="waterfall-table"]').getAttribute('data-row');
    const picked = () => webview().locator('vscode-dropdown[aria-label="Row"]').evaluate((el) => (el as HTMLElement & { value: string }).value);
    await until(async () => (await picked()) === shownRow, `the row picker to show the row drawn (${shownRow})`, { seen: picked });
    await inView(webview().locator('figure[data-chart="waterfall"]'));
    await screenshot('explain-panel-waterfall');
  });
});
