import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applySettings, clickEditorAction, contextMenu, journey, openContainer, openFile, page, screenshot, waitForRow, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');

journey('run the current training file, as a user does', () => {
  it('clicks the editor-title run button, sees the terminal and the run in the Runs view', async () => {
    await openFile('train.py');
    await clickEditorAction('Run Current Training File');
    await page().locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: 'mlwb: train.py' }).first().waitFor({ timeout: 30_000 });
    await openContainer();
    const row = await waitForRow('Runs', 'random-forest', { timeout: 60_000 });
    await waitForRow('Runs', { css: '[aria-label*="completed"]' }, { timeout: 60_000 });
    await page().locator('.notifications-toasts .notification-list-item', { hasText: /completed in/ }).first().waitFor({ timeout: 30_000 });
    await screenshot('runner-run-current-file');
    assert.ok(await row.isVisible());
  });

  it('reruns a run whose secret arguments were recorded as ***: the user gives them again, and they stay masked', async () => {
    const SECRET = 'hunter2-ui-secret';
    // The script shows the key arrived (reversed: the log masks the value itself) and fails without one.
    writeFileSync(join(workspace(), 'secret_args.py'), [
      'import sys',
      'key = sys.argv[sys.argv.index("--api-key") + 1]',
      'print("key reversed:", key[::-1])',
      'sys.exit(0 if key != "***" else 3)',
      '',
    ].join('\n'));
    // A run from an earlier session (here: a terminal outside VS Code): only its run.json is left, secrets masked.
    // (A run started in this window reruns with the arguments it still holds in memory.)
    const earlier = spawnSync('/usr/bin/python3', ['-m', 'mlwb', 'run', 'secret_args.py', '--api-key', SECRET, '--epochs', '1'], {
      cwd: workspace(),
      env: { ...process.env, PYTHONPATH: join(repo, 'python-runner'), MLWB_STORE: join(workspace(), '.mlwb') },
      encoding: 'utf8',
    });
    assert.equal(earlier.status, 0, earlier.stderr);

    await openContainer();
    const input = page().locator('.quick-input-widget .quick-input-box input');
    await contextMenu(await waitForRow('Runs', 'secret_args'), /^Rerun$/);
    const dialog = page().locator('.monaco-dialog-box', { hasText: 'had secret arguments, recorded as ***' });
    await dialog.waitFor({ timeout: 30_000 });
    await screenshot('runner-rerun-secret-question');
    await dialog.getByRole('button', { name: 'Edit Arguments…' }).click();
    await input.waitFor();
    assert.equal(await input.inputValue(), '--api-key *** --epochs 1', 'the recorded arguments, the secret masked');
    await input.fill(`--api-key ${SECRET} --epochs 1`);
    await screenshot('runner-rerun-secret-arguments');
    await page().keyboard.press('Enter');
    await page().locator('.notifications-toasts .notification-list-item', { hasText: /Run secret_args-\S+ completed in/ }).first().waitFor({ timeout: 60_000 });

    // Two runs of the script, both given the real key, neither recording it.
    const runsDir = join(workspace(), '.mlwb', 'runs');
    const mine = readdirSync(runsDir).filter((id) => readFileSync(join(runsDir, id, 'run.json'), 'utf8').includes('secret_args.py'));
    assert.equal(mine.length, 2);
    for (const id of mine) {
      const manifest = readFileSync(join(runsDir, id, 'run.json'), 'utf8');
      const events = readFileSync(join(runsDir, id, 'events.jsonl'), 'utf8');
      assert.deepEqual(JSON.parse(manifest).argv.slice(1), ['--api-key', '***', '--epochs', '1']);
      assert.ok(events.includes(`key reversed: ${[...SECRET].reverse().join('')}`), 'the real key reached the script');
      assert.ok(!manifest.includes(SECRET) && !events.includes(SECRET));
    }
  });

  it('explains a bad interpreter with Select Interpreter and Open Settings actions', async () => {
    await applySettings({ 'mlwb.pythonPath': '/nonexistent/python3' });
    try {
      await openFile('train.py');
      await clickEditorAction('Run Current Training File');
      const toast = page().locator('.notifications-toasts .notification-list-item', { hasText: 'no usable Python interpreter' });
      await toast.waitFor({ timeout: 30_000 });
      await toast.getByRole('button', { name: 'Select Interpreter' }).waitFor();
      await toast.getByRole('button', { name: 'Open Settings' }).waitFor();
      await screenshot('runner-bad-interpreter');
    } finally {
      await applySettings({ 'mlwb.pythonPath': '/usr/bin/python3' });
    }
  });
});
