import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, waitFor } from './helpers';

interface Contributes {
  commands: { command: string; title: string; category?: string }[];
  views: Record<string, { id: string; name: string }[]>;
  viewsWelcome: { view: string; contents: string }[];
}

describe('foundation: the extension in a real VS Code', () => {
  it('activates lazily, on our own events only', async () => {
    const ext = extension();
    assert.ok(ext, 'extension is installed in the development host');
    const events: string[] = ext.packageJSON.activationEvents;
    assert.ok(!events.includes('*') && !events.includes('onStartupFinished'), `activation must be lazy, got ${events}`);
    // Only the files it handles: a store, a model spec (the shape diagnostics), its own panels; never every JSON file.
    assert.ok(!events.some((e) => e.startsWith('onLanguage:')), `no activation by language, got ${events}`);
    assert.deepEqual(events.filter((e) => !e.startsWith('onWebviewPanel:')).sort(), ['workspaceContains:**/*.mlwb-model.json', 'workspaceContains:.mlwb/**']);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('contributes the three views in its own container, each with a welcome view', async () => {
    const contributes: Contributes = extension().packageJSON.contributes;
    assert.deepEqual(contributes.views.mlwb.map((v) => v.name), ['Experiments', 'Runs', 'Models']);
    for (const view of contributes.views.mlwb) {
      assert.ok(contributes.viewsWelcome.some((w) => w.view === view.id && w.contents.length > 20), `${view.id} has a welcome view`);
    }
    await vscode.commands.executeCommand('workbench.view.extension.mlwb');
  });

  it('registers every contributed command, each titled with the category', async () => {
    const contributes: Contributes = extension().packageJSON.contributes;
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of contributes.commands) {
      assert.equal(c.category, 'MLOps Workbench', `${c.command} has the category`);
      assert.ok(registered.has(c.command), `${c.command} is registered`);
    }
  });

  it('opens the overview webview panel from its command', async () => {
    await vscode.commands.executeCommand('mlwb.showOverview');
    const tab = await waitFor(() =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('mlwb.overview')),
      'the overview tab',
    );
    assert.equal(tab.label, 'MLOps Overview');
  });
});
