import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';
import type { ToDashboard } from '../../src/runs/dashboard/contract';
import type { RunDashboard } from '../../src/runs/dashboard/dashboard-panel';
import type { RunNode } from '../../src/runs/run-nodes';
import { RunWriter } from '../unit/store/helpers';
import { api, waitFor, workspaceDir } from './helpers';

// A click on a run in the Runs view runs the item's own command, as VS Code does on a click: the dashboard opens
// as a preview (one panel, reused for the next run clicked), a double click keeps it.

const stamp = Date.now().toString(36);
const ids = ['a', 'b', 'c'].map((x) => `click-${stamp}-${x}`);

/** What VS Code does when the tree item is clicked: run its command with its arguments. */
async function click(item: vscode.TreeItem): Promise<RunDashboard> {
  assert.ok(item.command, 'the run item has a command');
  return (await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []))) as RunDashboard;
}

/** Resolves with the run of the next full payload the dashboard sends. */
function nextRun(d: RunDashboard): Promise<string> {
  return new Promise((resolve) => {
    const sub = d.onDidSend((m: ToDashboard) => {
      if (m.type !== 'run') return;
      sub.dispose();
      resolve(m.data.run.id);
    });
  });
}

const dashboardTabs = () =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('mlwb.runDashboard'));

describe('open on click: a run item previews its dashboard, a double click keeps it', function () {
  let wb: WorkbenchApi;
  const item = async (id: string) => {
    const node = (await wb.views.runs.tree.getChildren()).find((n): n is RunNode => n.kind === 'run' && n.run.id === id);
    assert.ok(node, `${id} in the Runs view`);
    return wb.views.runs.tree.getTreeItem(node);
  };

  before(async () => {
    wb = await api();
    const root = join(workspaceDir(), '.mlwb');
    for (const [i, id] of ids.entries()) new RunWriter(root, { id, name: `click-${i}-${stamp}`, experiment: 'click/vscode' }).params({ i }).metric('loss', [1, 0.5]).finish();
    await wb.store.refresh();
    await vscode.commands.executeCommand('mlwb.filterRuns', { query: `run_name LIKE 'click-%-${stamp}'` });
    await waitFor(async () => (await wb.views.runs.shownRuns()).length === 3, 'the three runs listed');
  });

  after(async () => {
    await vscode.commands.executeCommand('mlwb.clearRunsFilter');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a click previews, the next click on another run reuses that panel, a double click keeps it', async () => {
    const a = await item(ids[0]);
    assert.equal(a.command?.command, 'mlwb.previewRun');
    const preview = await click(a);
    assert.equal(preview.runId, ids[0]);
    assert.equal(preview.isPreview, true);
    assert.equal(await nextRun(preview), ids[0], 'the preview shows the clicked run');
    assert.equal(preview.host.panel.title, `Run: click-0-${stamp} (preview)`);

    // Another run, clicked once: the same panel shows it (its page reloads and asks for the new run).
    const shown = nextRun(preview);
    const b = await item(ids[1]);
    assert.equal(await click(b), preview);
    assert.equal(preview.runId, ids[1]);
    assert.equal(preview.isPreview, true);
    // The second click of a double click (right after the first) keeps it.
    assert.equal(await click(b), preview);
    assert.equal(preview.isPreview, false);
    assert.equal(await shown, ids[1]);
    assert.equal(wb.panels.dashboards.get(ids[0]), undefined, 'the first run has no panel any more');
    assert.equal(dashboardTabs().length, 1);
    assert.equal(preview.host.panel.title, `Run: click-1-${stamp}`);

    // Kept: the next single click opens a preview of its own.
    const third = await click(await item(ids[2]));
    assert.notEqual(third, preview);
    assert.equal(third.isPreview, true);
    assert.equal(await nextRun(third), ids[2]);
    assert.equal(dashboardTabs().length, 2);
    assert.equal(wb.panels.dashboards.get(ids[1]), preview, 'the kept one stays');
  });

  it('Open Run and an edit in the panel keep a preview; a click on a run that has a panel reveals it', async () => {
    const preview = wb.panels.dashboards.previewed!;
    assert.equal(preview.runId, ids[2]);
    assert.equal(await vscode.commands.executeCommand('mlwb.openRun', ids[2]), preview);
    assert.equal(preview.isPreview, false);

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const again = await click(await item(ids[0]));
    assert.equal(again.isPreview, true);
    await nextRun(again);
    // An edit made in the panel (here: its notes, as the webview sends them) keeps it.
    await (again as unknown as { handle(m: unknown): Promise<void> }).handle({ type: 'setNotes', notes: 'kept by an edit' });
    assert.equal(again.isPreview, false);
    assert.equal((await wb.store.get()).getRun(ids[0])?.notes, 'kept by an edit');
  });

  it('a multi-selection carries no open: Compare gets the selected runs', async () => {
    const nodes = (await wb.views.runs.tree.getChildren()).filter((n): n is RunNode => n.kind === 'run');
    const comparison = (await vscode.commands.executeCommand('mlwb.compareRuns', nodes[0], nodes.slice(0, 2))) as { runIds: readonly string[] } | undefined;
    assert.deepEqual(comparison?.runIds, nodes.slice(0, 2).map((n) => n.run.id));
    // Compare also takes a query: the runs it matches, newest first.
    const byQuery = (await vscode.commands.executeCommand('mlwb.compareRuns', { query: `run_name LIKE 'click-%-${stamp}' and params.i >= 1` })) as { runIds: readonly string[] } | undefined;
    assert.deepEqual(byQuery?.runIds, [ids[2], ids[1]]);
  });
});
