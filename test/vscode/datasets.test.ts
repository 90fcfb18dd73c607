import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DatasetProfile } from '../../src/datasets/profile/types';
import type { DevicesReport } from '../../src/runner/devices';
import type { LaunchedRun } from '../../src/runner/run-manager';
import { api, extension, waitFor, workspaceDir } from './helpers';

const FIXTURES = join(__dirname, '../../../test/vscode/fixtures');

describe('datasets and devices (real commands, real files, real Python)', () => {
  it('profiles a CSV given as a Uri: the panel opens with the profile', async () => {
    const file = join(workspaceDir(), 'profile-me.csv');
    const lines = ['id,score,city,flag'];
    for (let i = 0; i < 2500; i++) lines.push(`${i},${i % 10 === 0 ? '' : (i * 0.5).toFixed(1)},"${i % 3 ? 'Paris' : 'Lyon, FR'}",${i % 2 ? 'true' : 'false'}`);
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    const profile = await vscode.commands.executeCommand<DatasetProfile | undefined>('mlwb.profileDataset', vscode.Uri.file(file));
    assert.ok(profile, 'the command returns the profile');
    assert.equal(profile.rows, 2500);
    assert.deepEqual(profile.columns.map((c) => [c.name, c.type]), [['id', 'int'], ['score', 'float'], ['city', 'string'], ['flag', 'bool']]);
    assert.equal(profile.columns[1].missing, 250);
    const panels = (await api()).datasets;
    assert.ok(panels.profiles().some((p) => p.file === file), 'the panel holds it');
    const tab = await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Profile: profile-me.csv'), 'the profile panel tab');
    assert.ok(tab.input instanceof vscode.TabInputWebview);
    // a second call reveals the same panel instead of profiling again
    assert.equal(await vscode.commands.executeCommand('mlwb.profileDataset', vscode.Uri.file(file)), profile);
  });

  it('says clearly when the interpreter cannot read Parquet', async () => {
    const file = join(workspaceDir(), 'no-reader.parquet');
    writeFileSync(file, 'PAR1');
    const result = await vscode.commands.executeCommand('mlwb.profileDataset', vscode.Uri.file(file));
    assert.equal(result, undefined, 'the failure is shown, not thrown (no pyarrow in Debian’s Python)');
  });

  it('creates the example project in a new folder of the workspace, and refuses to overwrite it', async () => {
    const folder = `starter-${Date.now()}`;
    const target = await vscode.commands.executeCommand<string | undefined>('mlwb.createExampleProject', { folder, open: false });
    assert.equal(target, join(workspaceDir(), folder));
    for (const f of ['train.py', 'forest.tune.json', 'README.md', 'data/iris.csv', 'data/wine.csv', 'data/breast_cancer.csv', 'data/diabetes.csv']) {
      assert.ok(existsSync(join(target!, f)), f);
    }
    writeFileSync(join(target!, 'train.py'), '# mine');
    assert.equal(await vscode.commands.executeCommand('mlwb.createExampleProject', { folder, open: false }), undefined, 'an existing folder is refused');
    assert.equal(readFileSync(join(target!, 'train.py'), 'utf8'), '# mine', 'nothing was overwritten');
    rmSync(target!, { recursive: true, force: true });
  });

  it('the walkthrough is contributed and its media exist', () => {
    const pkg = extension().packageJSON as { contributes: { walkthroughs: { id: string; steps: { media: { markdown?: string } }[] }[] } };
    const wt = pkg.contributes.walkthroughs.find((w) => w.id === 'mlwb.gettingStarted');
    assert.ok(wt && wt.steps.length >= 5);
    for (const s of wt.steps) assert.ok(existsSync(join(extension().extensionPath, s.media.markdown!)), s.media.markdown);
  });

  it('records system/* metrics in a real run started with mlwb.runCurrentFile, at the configured interval', async () => {
    const config = vscode.workspace.getConfiguration('mlwb');
    await config.update('systemMetricsInterval', 0.3, vscode.ConfigurationTarget.Workspace);
    try {
      const target = join(workspaceDir(), 'sysmetrics_work.py');
      copyFileSync(join(FIXTURES, 'sysmetrics_work.py'), target);
      await vscode.window.showTextDocument(vscode.Uri.file(target));
      const run = await vscode.commands.executeCommand<LaunchedRun | undefined>('mlwb.runCurrentFile');
      assert.ok(run);
      const runId = await run.started;
      assert.equal((await run.finished).status, 'completed');
      const ws = (await api()).store;
      await ws.refresh();
      const detail = (await ws.get()).getRun(runId);
      const system = new Map(detail!.metrics.filter((m) => m.key.startsWith('system/')).map((m) => [m.key, m]));
      for (const key of ['system/cpu_percent', 'system/ram_used_gb', 'system/ram_percent', 'system/process_rss_mb', 'system/disk_used_percent']) {
        assert.ok(system.has(key), `${key} in ${[...system.keys()]}`);
        assert.ok(system.get(key)!.count >= 3, `${key}: ${system.get(key)!.count} samples`);
      }
    } finally {
      await config.update('systemMetricsInterval', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('shows devices: no GPU here (nvidia-smi absent), CUDA as Debian’s torch sees it, CPU and RAM', async () => {
    const report = await vscode.commands.executeCommand<DevicesReport>('mlwb.showDevices', { show: false });
    assert.equal(report.gpus.ok, false);
    assert.ok(report.cpu.count >= 1 && report.memory.totalBytes > 0);
    assert.equal(report.python?.path, '/usr/bin/python3');
    assert.equal(report.cuda?.available, false, 'CPU-only torch');
    assert.ok(report.torch, 'torch version');
  });
});
