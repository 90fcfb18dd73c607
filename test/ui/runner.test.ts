import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openContainer, openFile, page, paneBody, screenshot, workspace } from './workbench';

describe('run the current training file, as a user does', () => {
  it('clicks the editor-title run button, sees the terminal and the run in the Runs view', async () => {
    await openFile('train.py');
    await page().locator('.editor-actions a[aria-label^="Run Current Training File"]').click();
    await page().locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: 'mlwb: train.py' }).first().waitFor({ timeout: 30_000 });
    await openContainer();
    const row = paneBody('Runs').locator('.monaco-list-row', { hasText: 'random-forest' }).first();
    await row.waitFor({ timeout: 60_000 });
    await paneBody('Runs').locator('.monaco-list-row[aria-label*="completed"]').first().waitFor({ timeout: 60_000 });
    await page().locator('.notifications-toasts .notification-list-item', { hasText: /completed in/ }).first().waitFor({ timeout: 30_000 });
    await screenshot('runner-run-current-file');
    assert.ok(await row.isVisible());
  });

  it('explains a bad interpreter with Select Interpreter and Open Settings actions', async () => {
    writeFileSync(join(workspace(), '.vscode/settings.json'), JSON.stringify({ 'mlwb.pythonPath': '/nonexistent/python3' }));
    try {
      await openFile('train.py');
      // Settings are re-read when the file changes; give the watcher a moment.
      await page().waitForTimeout(1500);
      await page().locator('.editor-actions a[aria-label^="Run Current Training File"]').click();
      const toast = page().locator('.notifications-toasts .notification-list-item', { hasText: 'no usable Python interpreter' });
      await toast.waitFor({ timeout: 30_000 });
      await toast.getByRole('button', { name: 'Select Interpreter' }).waitFor();
      await toast.getByRole('button', { name: 'Open Settings' }).waitFor();
      await screenshot('runner-bad-interpreter');
    } finally {
      writeFileSync(join(workspace(), '.vscode/settings.json'), JSON.stringify({ 'mlwb.pythonPath': '/usr/bin/python3' }));
    }
  });
});
