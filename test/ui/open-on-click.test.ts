import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunWriter } from '../unit/store/helpers';
import { journey, openContainer, page, screenshot, treeRow, until, waitForRow, webview, workspace } from './workbench';

const stamp = Date.now().toString(36);
const names = [`click-ui-a-${stamp}`, `click-ui-b-${stamp}`];

/** The editor tabs that hold a run dashboard, by their labels. */
const runTabs = () => page().locator('.tabs-container .tab').filter({ hasText: /^Run/ }).allInnerTexts();

journey('open on click: a click on a run shows its dashboard', () => {
  before(async () => {
    for (const [i, name] of names.entries()) {
      new RunWriter(join(workspace(), '.mlwb'), { id: `${stamp}-click-${i}`, name, experiment: 'click/ui' }).params({ lr: 0.1 * (i + 1) }).metric('loss', [1, 0.5, 0.25]).finish();
    }
    await openContainer();
    for (const name of names) await waitForRow('Runs', name);
  });

  it('a click previews the dashboard, a click on another run replaces it, a double click keeps it; Ctrl+click only selects', async () => {
    await treeRow('Runs', names[0]).first().click();
    await webview().getByTestId('run-name').filter({ hasText: names[0] }).waitFor({ timeout: 30_000 });
    await until(async () => {
      const tabs = await runTabs();
      return tabs.length === 1 && /\(preview\)/.test(tabs[0]) && tabs;
    }, 'one dashboard tab, in preview', { seen: runTabs });
    await screenshot('open-on-click-preview');

    await treeRow('Runs', names[1]).first().click();
    await webview().getByTestId('run-name').filter({ hasText: names[1] }).waitFor({ timeout: 30_000 });
    await until(async () => {
      const tabs = await runTabs();
      return tabs.length === 1 && tabs[0].includes(names[1]) && /\(preview\)/.test(tabs[0]) && tabs;
    }, 'the same single tab showing the second run', { seen: runTabs });

    await treeRow('Runs', names[1]).first().dblclick();
    await until(async () => {
      const tabs = await runTabs();
      return tabs.length === 1 && tabs[0].includes(names[1]) && !/\(preview\)/.test(tabs[0]) && tabs;
    }, 'the tab kept after a double click', { seen: runTabs });

    // Ctrl+click adds the first run to the selection (for Compare) and opens nothing.
    await treeRow('Runs', names[0]).first().click({ modifiers: ['Control'] });
    await until(async () => (await treeRow('Runs', { css: '.selected' }).count()) === 2, 'two runs selected', {
      seen: () => treeRow('Runs', { css: '.selected' }).allInnerTexts(),
    });
    assert.deepEqual((await runTabs()).length, 1, 'no dashboard opened for the Ctrl+click');
    await screenshot('open-on-click-kept-and-multiselect');
  });
});
