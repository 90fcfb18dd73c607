import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunComparison } from '../../src/runs/compare/compare-panel';
import type { ToCompare } from '../../src/runs/compare/contract';
import { decodeY } from '../../src/runs/charts/series-wire';
import type { ToDashboard } from '../../src/runs/dashboard/contract';
import type { RunDashboard } from '../../src/runs/dashboard/dashboard-panel';
import { RunWriter } from '../unit/store/helpers';
import { api, waitFor, workspaceDir } from './helpers';

// The run dashboard and the comparison against the workspace's real store, with their real webviews:
// the panels only send data after their webview has loaded and said `ready`.

const stamp = Date.now().toString(36);
const root = () => join(workspaceDir(), '.mlwb');

/** The next message a panel sends that matches `pick`. */
function next<M, T>(panel: { onDidSend: vscode.Event<M> }, pick: (m: M) => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const sub = panel.onDidSend((m) => {
      const hit = pick(m);
      if (hit === undefined) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(hit);
    });
  });
}

describe('run dashboard and comparison in a real VS Code', () => {
  const ids = ['a', 'b', 'c'].map((x) => `dash-${stamp}-${x}`);
  let live: RunWriter;

  before(async () => {
    live = new RunWriter(root(), { id: ids[0], name: `live-${stamp}`, experiment: 'dashboard/vscode' })
      .params({ lr: 0.1, seed: 1 })
      .metric('train/loss', [1, 0.8, 0.6, NaN, 0.5])
      .log('info', 'started')
      .events({ t: 'file', op: 'save', id: 'f1', path: 'out/summary.json', size: 2 });
    new RunWriter(root(), { id: ids[1], experiment: 'dashboard/vscode' }).params({ lr: 0.2, seed: 1 }).metric('train/loss', [2, 1]).finish();
    new RunWriter(root(), { id: ids[2], experiment: 'dashboard/vscode' }).params({ lr: 0.3, seed: 1 }).metric('train/loss', [3, 2, 1]).finish();
    const store = (await api()).store;
    await store.refresh();
    assert.ok((await store.get()).getRun(ids[2]), 'fixture runs ingested');
  });

  after(async () => {
    live.finish();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens a run by id: the panel answers its webview with the run and every point of a short series', async () => {
    const dashboard = (await vscode.commands.executeCommand('mlwb.openRun', ids[0])) as RunDashboard;
    assert.ok(dashboard, 'mlwb.openRun returns the dashboard');
    const first = await next(dashboard, (m: ToDashboard) => (m.type === 'run' ? m : undefined), 'the first payload');
    assert.equal(dashboard.host.panel.title, `Run: live-${stamp}`);
    assert.equal(first.data.run.id, ids[0]);
    assert.deepEqual(first.data.params, [{ key: 'lr', value: '0.1' }, { key: 'seed', value: '1' }]);
    assert.deepEqual(first.data.files.map((f) => f.path), ['out/summary.json']);
    const loss = first.series.find((s) => s.key === 'train/loss')!;
    assert.deepEqual(loss.x, [0, 1, 2, 3, 4]);
    assert.equal(loss.step, undefined, 'on the step axis x is the step: not sent twice');
    assert.deepEqual(decodeY(loss), [1, 0.8, 0.6, NaN, 0.5]);
    assert.equal(first.logs.logs.at(-1)?.msg, 'started');
    // Opening it again reveals the same panel.
    assert.equal(await vscode.commands.executeCommand('mlwb.openRun', { kind: 'run', run: { id: ids[0] } }), dashboard);
  });

  it('pushes a logged point to the open dashboard by itself (no command), with only the metric that grew', async () => {
    const dashboard = (await api()).panels.dashboards.get(ids[0])!;
    const update = next(dashboard, (m: ToDashboard) => (m.type === 'update' && m.series.some((s) => s.key === 'train/loss' && s.total === 6) ? m : undefined), 'a live update');
    const started = Date.now();
    live.metric('train/loss', [0.25], { firstStep: 5 });
    const m = await update;
    const loss = m.series.find((s) => s.key === 'train/loss')!;
    assert.deepEqual(loss.x.slice(-1), [5]);
    assert.deepEqual(decodeY(loss).slice(-1), [0.25]);
    assert.equal(m.series.length, 1);
    console.log(`      live point reached the dashboard in ${Date.now() - started} ms`);
  });

  it('exports a metric as CSV with every point', async () => {
    const dashboard = (await api()).panels.dashboards.get(ids[0])!;
    const target = vscode.Uri.file(join(workspaceDir(), `loss-${stamp}.csv`));
    await dashboard.exportCsv('train/loss', 'step', undefined, target);
    const lines = readFileSync(target.fsPath, 'utf8').trim().split('\r\n');
    assert.equal(lines[0], 'run,run_name,key,step,time,time_iso,value');
    assert.equal(lines.length, 7);
    assert.match(lines[4], new RegExp(`^${ids[0]},live-${stamp},train/loss,3,[\\d.]+,[^,]+,NaN$`));
  });

  it('compares three runs: runs in order, params that differ, one line per run', async () => {
    const comparison = (await vscode.commands.executeCommand('mlwb.compareRuns', ids)) as RunComparison;
    const first = await next(comparison, (m: ToCompare) => (m.type === 'compare' ? m : undefined), 'the comparison');
    assert.deepEqual(first.data.runs.map((r) => r.id), ids);
    assert.deepEqual(first.data.params.filter((p) => p.differs).map((p) => p.key), ['lr']);
    const loss = first.series.find((s) => s.key === 'train/loss')!;
    assert.deepEqual(loss.lines.map((l) => [l.run, l.total]), [[ids[0], 6], [ids[1], 2], [ids[2], 3]]);
  });

  it('restores both panels from their saved webview state (what the serializers do after a reload)', async () => {
    const { panels } = await api();
    for (const p of [...panels.dashboards.all(), ...panels.comparisons.all()]) p.dispose();
    const revived = vscode.window.createWebviewPanel('mlwb.runDashboard', 'restored', vscode.ViewColumn.Active);
    panels.dashboards.revive(revived, { runId: ids[1] });
    const d = panels.dashboards.get(ids[1])!;
    const first = await next(d, (m: ToDashboard) => (m.type === 'run' ? m : undefined), 'the restored dashboard');
    assert.equal(first.data.run.id, ids[1]);
    const bogus = vscode.window.createWebviewPanel('mlwb.compareRuns', 'restored', vscode.ViewColumn.Active);
    let disposed = false;
    bogus.onDidDispose(() => (disposed = true));
    panels.comparisons.revive(bogus, { nothing: true });
    await waitFor(() => disposed, 'a panel with unusable state to be closed');
  });
});
