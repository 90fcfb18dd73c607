import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { contextMenu, journey, openContainer, page, screenshot, treeRow, waitForRow, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');

/** Trains the example twice with the real SDK in the workbench's workspace; returns the new runs' names, oldest first. */
async function twoRuns(): Promise<string[]> {
  const dir = join(workspace(), '.mlwb', 'runs');
  const ids = () => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const before = new Set(ids());
  for (const seed of ['1', '2']) {
    await promisify(execFile)('/usr/bin/python3', ['train.py', '--trees', '6', '--seed', seed], {
      cwd: workspace(),
      env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), '.mlwb') },
    });
  }
  return ids()
    .filter((id) => !before.has(id))
    .map((id) => (JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')) as { name: string }).name);
}

journey('sidebar journeys in the real workbench', () => {
  let names: string[] = [];

  before(async () => {
    names = await twoRuns();
    await openContainer();
  });

  const row = treeRow;
  const rowMenu = (view: string, text: string, entry: string) =>
    contextMenu(row(view, text), entry, () => screenshot(`sidebar-menu-${entry.replace(/\W+/g, '-').toLowerCase()}`));

  it('lists the new runs live, with their duration and eval metric', async () => {
    for (const name of names) await waitForRow('Runs', name);
    const text = await row('Runs', names[1]).innerText();
    assert.match(text, /\d+\.\d s · eval\/accuracy (0\.\d+|1)/);
    await screenshot('sidebar-runs');
  });

  it('renames a run from its context menu (input box) and the tree updates', async () => {
    await rowMenu('Runs', names[1], 'Rename Run…');
    const input = page().locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('renamed-in-the-ui');
    await page().keyboard.press('Enter');
    await waitForRow('Runs', 'renamed-in-the-ui');
    assert.equal(await row('Runs', names[1]).count(), 0);
    await screenshot('sidebar-renamed');
  });

  it('deletes a run from its context menu after the modal confirmation, and it leaves the tree', async () => {
    const runCount = async () => Number((await row('Experiments', 'random-forest').first().innerText()).match(/(\d+) runs?/)?.[1]);
    const before = await runCount();
    await rowMenu('Runs', names[0], 'Delete Run…');
    const dialog = page().locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Delete run "/);
    await screenshot('sidebar-delete-confirm');
    await dialog.locator('.monaco-button', { hasText: 'Delete' }).click();
    await waitForRow('Runs', names[0], { state: 'detached' });
    await waitForRow('Runs', 'renamed-in-the-ui');
    // The Experiments view follows: its experiment counts one run less.
    await waitForRow('Experiments', { hasText: new RegExp(`random-forest[\\s\\S]*${before - 1} run`) });
    await screenshot('sidebar-deleted');
  });
});
