import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { applySettings, contextMenu, journey, openContainer, openFile, page, runCommand, screenshot, settled, slurmEnv, treeRow, waitForRow, workspace } from './workbench';

// Submitting the current training file to a REAL Slurm cluster (slurmctld + slurmd + munge on loopback,
// started before code-server by workbench.ts) through the palette, the profile pick, the arguments box and
// the script's modal Submit; then following the run in the Runs view until it completes.
const repo = resolve(__dirname, '../../..');
const PROFILES = [
  // Held in the queue (as on a busy cluster) until the test releases it: a queued run the view is seen showing.
  { name: 'ui-cpu', python: '/usr/bin/python3', cpusPerTask: 1, time: '5:00', extra: ['--hold'] },
  { name: 'gpu', python: '/usr/bin/python3', gpus: 1, mem: '1G', time: '10:00' },
];

journey('submit the current training file to Slurm, as a user does', function () {
  this.timeout(240_000);
  let jobId = '';
  /** The run's row in the Runs view (found by its job: the script's Experiment renames the run when it starts). */
  const byJob = (status: string) => ({ css: `[aria-label*=", ${status}"]`, hasText: new RegExp(`Slurm ${jobId}(?!\\d)`) });
  const runRow = (status: string) => treeRow('Runs', byJob(status));

  before(async function () {
    const unavailable = slurmEnv().MLWB_SLURM_UNAVAILABLE;
    if (unavailable) {
      console.log(`    (skipped: ${unavailable})`);
      this.skip();
    }
    copyFileSync(join(repo, 'test/vscode/fixtures/slurm_train.py'), join(workspace(), 'slurm_train.py'));
    await applySettings({ 'mlwb.slurm.profiles': PROFILES, 'mlwb.slurm.pollSeconds': 1 });
  });

  it('picks a profile, gives the arguments, reads the script, submits; the run goes queued → completed', async () => {
    const p = page();
    await openFile('slurm_train.py');
    await runCommand('MLOps Workbench: Submit to Slurm…');

    // The profile pick: every item has its name and what it asks for, as text and for a screen reader.
    const quick = p.locator('.quick-input-widget');
    await quick.locator('.quick-input-title', { hasText: 'Slurm profile' }).waitFor();
    const rows = quick.locator('.monaco-list-row');
    await rows.nth(1).waitFor();
    const items = await rows.evaluateAll((els) => els.map((e) => ({
      label: e.querySelector('.label-name')?.textContent?.trim(),
      description: e.querySelector('.label-description')?.textContent?.trim(),
      aria: e.getAttribute('aria-label'),
      role: e.getAttribute('role'),
    })));
    assert.deepEqual(items.map((i) => [i.label, i.description]), [
      ['ui-cpu', '1 CPU · time 5:00'],
      ['gpu', '1 GPU · 1G · time 10:00'],
    ]);
    for (const i of items) {
      assert.equal(i.role, 'option');
      assert.ok(i.aria?.includes(i.label!) && i.aria.includes(i.description!), `aria-label "${i.aria}" names the profile and what it asks for`);
    }
    assert.equal(await quick.locator('.quick-input-box input').getAttribute('aria-label'), 'Profiles come from the setting mlwb.slurm.profiles - Slurm profile', 'the box says what it asks');
    await screenshot('slurm-profile-pick');
    // By keyboard: filter to the profile, Enter.
    await p.keyboard.type('ui-cpu');
    await p.keyboard.press('Enter');

    // The arguments, typed into the input box.
    await quick.locator('.quick-input-title', { hasText: 'Submit slurm_train.py to Slurm: arguments' }).waitFor();
    await p.keyboard.type('--lr 0.05 --steps 6 --sleep 0.3');
    await p.keyboard.press('Enter');

    // The generated script in an editor, and the modal asking before sbatch.
    const dialog = p.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.equal(await dialog.getAttribute('role'), 'dialog');
    assert.match(await dialog.innerText(), /Submit slurm_train\.py --lr 0\.05 --steps 6 --sleep 0\.3 to Slurm\?/);
    assert.match(await dialog.innerText(), /Profile "ui-cpu", 1 run\./);
    const script = await p.locator('.editor-instance .monaco-editor .view-lines').first().innerText();
    const lines = script.replace(/\u00a0/g, ' ').split('\n');
    for (const l of ['#!/bin/bash', '#SBATCH --cpus-per-task=1', '#SBATCH --time=5:00', '#SBATCH --hold']) assert.ok(lines.includes(l), `script line ${l}:\n${script}`);
    assert.ok(lines.some((l) => /^exec '?\/usr\/bin\/python3'? -m mlwb run --run-id \S+ \S*slurm_train\.py --lr 0\.05 --steps 6 --sleep 0\.3$/.test(l)), script);
    await screenshot('slurm-script-confirm');
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Submitted: the toast names the job; the run is in the Runs view, queued with its job, then completed.
    const submitted = p.locator('.notifications-toasts .notification-list-item', { hasText: /Submitted slurm_train\.py .* to Slurm: job \d+\./ });
    await submitted.waitFor({ timeout: 30_000 });
    jobId = /job (\d+)\./.exec(await submitted.innerText())![1];
    await openContainer();
    const queued = await waitForRow('Runs', byJob('queued'));
    assert.ok(await queued.locator('.codicon-clock').count(), 'a clock icon while queued');
    assert.match(await queued.locator('.label-description').innerText(), new RegExp(`Slurm ${jobId} · PENDING$`));
    await screenshot('slurm-run-queued');
    await promisify(execFile)('scontrol', ['release', jobId], { env: { ...process.env, ...slurmEnv() } });

    const done = await waitForRow('Runs', byJob('completed'), { timeout: 90_000 });
    assert.ok(await done.locator('.codicon-pass').count(), 'the completed icon');
    assert.match(await done.locator('.label-description').innerText(), new RegExp(`Slurm ${jobId}$`), 'a completed job shows just its id');
    const runName = (await done.locator('.label-name').innerText()).trim();
    assert.match(await done.getAttribute('aria-label') ?? '', new RegExp(`^Run ${runName}, completed, `), 'read out: name, status, duration');
    const toast = p.locator('.notifications-toasts .notification-list-item', { hasText: `Slurm run ${runName} completed in` });
    await toast.waitFor({ timeout: 30_000 });
    assert.match(await toast.innerText(), new RegExp(`\\(job ${jobId}\\)`));
    await toast.getByRole('button', { name: 'Open Run' }).waitFor();
    await screenshot('slurm-run-completed');
  });

  it('Rerun of a run whose profile is gone says so, offering Run Locally and Open Settings; Run Locally runs it here', async () => {
    assert.ok(jobId, 'the run of the journey before');
    await applySettings({ 'mlwb.slurm.profiles': PROFILES.slice(1) });
    await runCommand('Notifications: Clear All Notifications');
    await contextMenu(runRow('completed'), /^Rerun$/);
    const toast = page().locator('.notifications-toasts .notification-list-item', { hasText: 'no longer in mlwb.slurm.profiles' });
    await toast.waitFor({ timeout: 30_000 });
    assert.match(await toast.innerText(), /Run \S+ was submitted to Slurm with the profile "ui-cpu", which is no longer in mlwb\.slurm\.profiles \(there are: gpu\)/);
    await toast.getByRole('button', { name: 'Open Settings' }).waitFor();
    await settled(toast);
    await screenshot('slurm-rerun-missing-profile');
    await toast.getByRole('button', { name: 'Run Locally' }).click();
    await page().locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: 'mlwb: slurm_train.py' }).first().waitFor({ timeout: 30_000 });
    const local = page().locator('.notifications-toasts .notification-list-item', { hasText: /Run \S+ completed in/, hasNotText: 'Slurm run' });
    await local.first().waitFor({ timeout: 60_000 });
    await screenshot('slurm-rerun-locally');
  });
});
