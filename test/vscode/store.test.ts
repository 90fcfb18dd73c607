import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TrackingStore } from '../../src/store';
import { api, runExample, waitFor, workspaceDir } from './helpers';

describe('the workspace store in a real VS Code', () => {
  it('ingests a run that the real Python SDK wrote in the workspace, on Refresh', async () => {
    const store = await (await api()).store.get();
    const before = new Set(store.listRuns().runs.map((r) => r.id));
    await runExample('--trees', '11');
    await vscode.commands.executeCommand('mlwb.refresh');
    const runs = store.listRuns().runs.filter((r) => !before.has(r.id));
    assert.equal(runs.length, 1, 'exactly one new run');
    assert.equal(runs[0].status, 'completed');
    assert.equal(runs[0].experiment, 'iris/random-forest');
    const detail = store.getRun(runs[0].id)!;
    assert.deepEqual(detail.params, { 'model.kind': 'RandomForestClassifier', 'model.trees': 11, 'model.max_depth': 4, seed: 7 });
    assert.deepEqual(detail.metrics.map((m) => [m.key, m.count, m.lastStep]).sort(), [
      ['eval/accuracy', 3, 11],
      ['eval/f1', 3, 11],
      ['train/accuracy', 3, 11],
    ]);
    assert.deepEqual(detail.files.map((f) => f.path), ['model/model.pkl']);
  });

  it('picks up a new run by itself when the journals change (no command)', async () => {
    const store = await (await api()).store.get();
    const before = store.listRuns({ status: ['completed'] }).total;
    await runExample('--trees', '6', '--seed', '3');
    // Only the store's own polling can make this true: no command, no refresh() call here.
    await waitFor(() => store.listRuns({ status: ['completed'] }).total === before + 1, 'the new run to appear by itself', 20_000);
  });

  it('rebuilds the same index from the journals after index.sqlite is deleted', async () => {
    const snapshot = (s: TrackingStore) => s.listRuns().runs.map((r) => ({ ...r, detail: s.getRun(r.id) }));
    const store = await (await api()).store.get();
    const before = snapshot(store);
    await store.saveNow();
    rmSync(join(workspaceDir(), '.mlwb', 'index.sqlite'));
    await vscode.commands.executeCommand('mlwb.rebuildIndex');
    const after = snapshot(await (await api()).store.get());
    assert.deepEqual(after.map((r) => r.id), before.map((r) => r.id));
    // Run by run, so that a difference names its run and field.
    for (const [i, run] of before.entries()) assert.deepEqual(after[i], run, `run ${run.id} (${run.name}) after the rebuild`);
  });
});
