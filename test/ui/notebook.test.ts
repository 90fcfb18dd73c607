import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applySettings, contextMenu, journey, openContainer, openFile, page, screenshot, waitFor, waitForRow, workspace } from './workbench';

/** A notebook as Jupyter writes it: a markdown cell, a cell tagged `parameters`, then the work. */
function writeNotebook(name: string, cells: string[]): void {
  const code = (source: string, tags?: string[]) => ({ cell_type: 'code', execution_count: null, metadata: tags ? { tags } : {}, outputs: [], source });
  writeFileSync(join(workspace(), name), JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    cells: [{ cell_type: 'markdown', metadata: {}, source: '# Churn analysis' }, ...cells.map((c, i) => code(c, i === 0 ? ['parameters'] : undefined))],
  }, null, 1));
}

journey('run a notebook, as a user does', () => {
  it('clicks Run in the notebook editor title, sees the run complete in the Runs view, and opens the executed notebook', async () => {
    writeNotebook('churn.ipynb', ['alpha = 0.1', 'print("alpha is", alpha)', 'score = alpha * 10\nscore']);
    await applySettings({ 'mlwb.runArgs': 'alpha=0.5' });
    try {
      await openFile('churn.ipynb');
      await waitFor(page().locator('.notebook-editor .cell-editor-container', { hasText: /alpha/ }).first(), 'the notebook editor with its cells');
      await page().locator('.editor-actions a[aria-label^="Run Current Training File"]').first().click();
      await page().locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: 'mlwb: churn.ipynb' }).first().waitFor({ timeout: 30_000 });
      await openContainer();
      await waitForRow('Runs', { css: '[aria-label*="completed"]', hasText: 'churn' }, { timeout: 90_000 });
      const toast = page().locator('.notifications-toasts .notification-list-item', { hasText: /completed in/ }).first();
      await toast.waitFor({ timeout: 30_000 });
      await screenshot('notebook-run-completed');
      await toast.getByRole('button', { name: 'Open Executed Notebook' }).click();
    } finally {
      await applySettings({ 'mlwb.runArgs': '' });
    }
    await waitFor(page().locator('.tabs-container .tab.active', { hasText: 'executed.ipynb' }), 'the executed notebook’s tab');
    // The injected cell is one of its cells, in the notebook editor (cell editors are in the page, outputs in a webview).
    await waitFor(page().locator('.notebook-editor .cell-editor-container', { hasText: /injected/ }).first(), 'the injected parameters cell');
    await screenshot('notebook-executed');

    // The run's context menu in the Runs view: the executed notebook against its source, in the notebook diff editor.
    await openContainer();
    await contextMenu(await waitForRow('Runs', 'churn'), 'Compare Executed Notebook with Source');
    await waitFor(page().locator('.tabs-container .tab.active', { hasText: /churn\.ipynb ↔ executed in run churn-/ }), 'the notebook diff editor’s tab');
    await waitFor(page().locator('.notebook-text-diff-editor').first(), 'the notebook diff editor');
    await screenshot('notebook-compare-with-source');
    const runsDir = join(workspace(), '.mlwb', 'runs');
    const mine = readdirSync(runsDir).filter((id) => readFileSync(join(runsDir, id, 'run.json'), 'utf8').includes('churn.ipynb'));
    assert.equal(mine.length, 1, 'one run of the notebook');
    assert.ok(readFileSync(join(runsDir, mine[0], 'events.jsonl'), 'utf8').includes('alpha is 0.5'), 'mlwb.runArgs became its parameter');
  });
});
