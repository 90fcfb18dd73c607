import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contextMenu, openContainer, page, paneBody, runCommand, screenshot, webview, workspace } from './workbench';

const MODEL = 'served-iris';
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

describe('serving journey in the real workbench', () => {
  before(async () => {
    await promisify(execFile)('/usr/bin/python3', ['-c', `
import pickle, sys
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
d = load_iris(as_frame=True)
X = d.data
X.columns = ${JSON.stringify(FEATURES)}
pickle.dump(RandomForestClassifier(n_estimators=10, random_state=0).fit(X, d.target), open(sys.argv[1], 'wb'))
`, join(workspace(), `${MODEL}.pkl`)]);
    await runCommand('View: Close All Editors');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await screenshot(`serving-failed-${this.currentTest.title.slice(0, 30).replace(/\W+/g, '-')}`);
  });

  const versionRow = () => paneBody('Models').locator(`.monaco-list-row[aria-label^="${MODEL} version 1,"]`);
  const menu = contextMenu;
  const input = async (prompt: string, value?: string) => {
    await page().locator('.quick-input-widget', { hasText: prompt }).waitFor();
    if (value !== undefined) await page().locator('.quick-input-widget .quick-input-box input').fill(value);
    await page().keyboard.press('Enter');
  };

  it('registers a pickle from the Explorer, serves it from the Models view (after the pickle warning) and shows the port', async () => {
    await runCommand('View: Show Explorer');
    const file = page().locator('.explorer-folders-view .monaco-list-row', { hasText: `${MODEL}.pkl` });
    await file.waitFor({ timeout: 30_000 });
    await menu(file, 'Register Model from File…');
    const newModel = page().locator('.quick-input-widget .monaco-list-row', { hasText: 'New model…' });
    const namePrompt = page().locator('.quick-input-widget', { hasText: 'Model name' });
    await Promise.race([newModel.waitFor(), namePrompt.waitFor()]);
    if (await newModel.isVisible()) await newModel.click();
    await input('Model name', MODEL);
    await input('Description (optional)');
    await openContainer();
    await versionRow().waitFor({ timeout: 30_000 });

    await menu(versionRow(), 'Serve');
    const dialog = page().locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /runs code/);
    await dialog.locator('.monaco-button', { hasText: 'Serve' }).click();
    await versionRow().filter({ hasText: /serving on :\d+/ }).waitFor({ timeout: 60_000 });
    await page().locator('.statusbar-item', { hasText: `${MODEL} v1 :` }).waitFor();
    await versionRow().click({ button: 'right' });
    await page().locator('.context-view .monaco-menu .action-menu-item', { hasText: 'Stop Serving' }).first().waitFor();
    await page().waitForTimeout(300);
    await screenshot('serving-models-menu');
    await page().keyboard.press('Escape');
  });

  it('opens the serving panel, sends the try-it request and reads the answer; live charts fill in', async () => {
    await menu(versionRow(), 'Open Serving Panel');
    // The mouse is still over the version row: its hover (a Markdown tooltip) may open over the panel.
    await page().mouse.move(700, 12);
    const frame = webview();
    await frame.getByTestId('serving-status').filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
    assert.match(await frame.getByTestId('serving-url').innerText(), /^http:\/\/127\.0\.0\.1:\d+\/invocations$/);
    const body = frame.getByTestId('try-body');
    // A textarea's value is not its text: poll it.
    for (let i = 0; i < 100 && !(await body.inputValue()).includes('dataframe_split'); i++) await page().waitForTimeout(200);
    const template = JSON.parse(await body.inputValue());
    assert.deepEqual(template.dataframe_split.columns, FEATURES, 'prefilled with the model’s features');
    await body.fill(JSON.stringify({ dataframe_split: { columns: FEATURES, data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] } }, null, 2));
    await frame.locator('vscode-button', { hasText: 'Send' }).click();
    await frame.getByTestId('try-status').filter({ hasText: '200' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(JSON.parse(await frame.getByTestId('try-body-response').innerText()), { predictions: [0, 2] });
    assert.match(await frame.getByTestId('recent-requests').innerText(), /json\s+200/);
    // A few more requests, so the charts have something to show; the host polls /metrics every 1.5 s.
    for (let i = 0; i < 3; i++) {
      await frame.locator('vscode-button', { hasText: 'Send' }).click();
      await page().waitForTimeout(700);
    }
    await frame.getByTestId('chart-data').first().locator('tbody tr').nth(4).waitFor({ state: 'attached', timeout: 30_000 });
    assert.match(await frame.getByTestId('serving-totals').innerText(), /\d+ invocations/);
    await runCommand('Notifications: Clear All Notifications');
    await screenshot('serving-panel');
  });

  it('stops from the panel: the status and the Models view follow', async () => {
    const frame = webview();
    await frame.locator('vscode-button', { hasText: 'Stop' }).click();
    await frame.getByTestId('serving-status').filter({ hasText: 'Not running' }).waitFor({ timeout: 30_000 });
    await versionRow().filter({ hasNotText: 'serving on' }).waitFor({ timeout: 15_000 });
    await runCommand('View: Close All Editors');
  });
});
