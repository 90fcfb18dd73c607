import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contextMenu, journey, openContainer, openContextMenu, page, pointerAway, runCommand, screenshot, treeRow, until, waitForRow, webview, workspace } from './workbench';

const MODEL = 'served-iris';
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

journey('serving journey in the real workbench', () => {
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
  });

  const version = (hasText?: RegExp, hasNotText?: string) => ({ css: `[aria-label^="${MODEL} version 1,"]`, hasText, hasNotText });
  const versionRow = () => treeRow('Models', version());
  const menu = contextMenu;
  const input = async (prompt: string, value?: string) => {
    await page().locator('.quick-input-widget', { hasText: prompt }).waitFor();
    if (value !== undefined) await page().locator('.quick-input-widget .quick-input-box input').fill(value);
    await page().keyboard.press('Enter');
  };

  it('registers a pickle from the Explorer, serves it from the Models view (after the pickle warning) and shows the port', async () => {
    await runCommand('View: Show Explorer');
    await menu(await waitForRow('Explorer', `${MODEL}.pkl`), 'Register Model from File…');
    const newModel = page().locator('.quick-input-widget .monaco-list-row', { hasText: 'New model…' });
    const namePrompt = page().locator('.quick-input-widget', { hasText: 'Model name' });
    await Promise.race([newModel.waitFor(), namePrompt.waitFor()]);
    if (await newModel.isVisible()) await newModel.click();
    await input('Model name', MODEL);
    await input('Description (optional)');
    await openContainer();
    await waitForRow('Models', version());

    await menu(versionRow(), 'Serve');
    const dialog = page().locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /runs code/);
    await dialog.locator('.monaco-button', { hasText: 'Serve' }).click();
    await waitForRow('Models', version(/serving on :\d+/), { timeout: 60_000 });
    await page().locator('.statusbar-item', { hasText: `${MODEL} v1 :` }).waitFor();
    await openContextMenu(versionRow(), 'Stop Serving');
    await screenshot('serving-models-menu');
    await page().keyboard.press('Escape');
    await pointerAway();
  });

  it('opens the serving panel, sends the try-it request and reads the answer; live charts fill in', async () => {
    await menu(versionRow(), 'Open Serving Panel');
    const frame = webview();
    await frame.getByTestId('serving-status').filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
    assert.match(await frame.getByTestId('serving-url').innerText(), /^http:\/\/127\.0\.0\.1:\d+\/invocations$/);
    const body = frame.getByTestId('try-body');
    // A textarea's value is not its text: poll it.
    await until(async () => (await body.inputValue()).includes('dataframe_split'), 'the try-it body prefilled from the model', { timeout: 20_000, seen: () => body.inputValue() });
    const template = JSON.parse(await body.inputValue());
    assert.deepEqual(template.dataframe_split.columns, FEATURES, 'prefilled with the model’s features');
    await body.fill(JSON.stringify({ dataframe_split: { columns: FEATURES, data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] } }, null, 2));
    await frame.locator('vscode-button', { hasText: 'Send' }).click();
    await frame.getByTestId('try-status').filter({ hasText: '200' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(JSON.parse(await frame.getByTestId('try-body-response').innerText()), { predictions: [0, 2] });
    assert.match(await frame.getByTestId('recent-requests').innerText(), /json\s+200/);
    // A few more requests, each answered before the next, so the charts have something to show (the host
    // polls /metrics every 1.5 s).
    const recent = frame.getByTestId('recent-requests').locator('tbody tr');
    for (let sent = (await recent.count()) + 1, i = 0; i < 3; i++, sent++) {
      await frame.locator('vscode-button', { hasText: 'Send' }).click();
      await until(async () => (await recent.count()) >= sent, `request ${sent} in the recent requests`, { seen: () => recent.allInnerTexts() });
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
    await waitForRow('Models', version(undefined, 'serving on'));
  });
});
