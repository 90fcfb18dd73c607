import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';
import type { ModelNode, VersionNode } from '../../src/registry/model-nodes';
import type { ToVersionPanel } from '../../src/registry/version-panel/contract';
import type { RunNode } from '../../src/runs/run-nodes';
import type { StageChange } from '../../src/store';
import { api, extension, waitFor, workspaceDir } from './helpers';

// The registry's commands against a real store of its own (`mlwb.storePath` moved for this suite): a
// run of the example trained by Debian's Python with the real SDK (its model.pkl a real pickle), plus a
// pickle written by Python outside any run. Commands get their values as arguments (the UI layer
// covers the input boxes and the modal).
const STORE = '.mlwb-registry';
const PY = process.env.MLWB_PYTHON ?? '/usr/bin/python3';
const MODEL = 'iris-rf';

const label = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : item.label?.label);

describe('registry: the Models view, its commands and the version panel, against a real store', function () {
  this.timeout(120_000);
  let wb: WorkbenchApi;
  let runNode: RunNode;
  let outside: string;
  const tree = () => wb.views.models.tree;
  const store = () => wb.store.get();
  const models = async () => (await tree().getChildren()).filter((n): n is ModelNode => n.kind === 'model');
  const versions = async (model = MODEL) => {
    const parent = (await models()).find((m) => m.model.name === model);
    return parent ? ((await tree().getChildren(parent)) as VersionNode[]) : [];
  };
  const versionItem = async (n: number) => {
    const node = (await versions()).find((v) => v.version.version === n);
    return node && tree().getTreeItem(node);
  };

  before(async () => {
    wb = await api();
    await vscode.workspace.getConfiguration('mlwb').update('storePath', STORE, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await store()).layout.root === join(workspaceDir(), STORE), 'the store to move');
    const env = { ...process.env, PYTHONPATH: join(extension().extensionPath, 'python-runner'), MLWB_STORE: join(workspaceDir(), STORE) };
    await promisify(execFile)(PY, ['train.py', '--trees', '11', '--seed', '3'], { cwd: workspaceDir(), env });
    mkdirSync(join(workspaceDir(), 'exported'), { recursive: true });
    outside = join(workspaceDir(), 'exported', 'tree.pkl');
    await promisify(execFile)(PY, ['-c', 'import pickle,sys; from sklearn.tree import DecisionTreeClassifier as T; pickle.dump(T(max_depth=2).fit([[0],[1]],[0,1]), open(sys.argv[1],"wb"))', outside]);
    await vscode.commands.executeCommand('workbench.view.extension.mlwb');
    await vscode.commands.executeCommand('mlwb.refresh');
    runNode = await waitFor(async () => (await wb.views.runs.tree.getChildren()).find((n): n is RunNode => n.kind === 'run'), 'the trained run');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('mlwb').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await store()).layout.root === join(workspaceDir(), '.mlwb'), 'the store to move back');
  });

  it('starts empty', async () => {
    assert.deepEqual(await models(), []);
  });

  it("registers one of a run's files (the run's real pickle) from the run's node, then a file from outside any run", async () => {
    const file = (await store()).getRun(runNode.run.id)!.files.find((f) => f.path.endsWith('model.pkl'));
    assert.ok(file, 'the example saves model.pkl');
    const first = await vscode.commands.executeCommand('mlwb.registerModel', runNode, { file: file.path, model: MODEL, description: 'first forest' });
    assert.deepEqual(first, { model: MODEL, version: 1 });
    const v1 = (await store()).getVersion(MODEL, 1)!;
    assert.equal(v1.format, 'pickle');
    assert.equal(v1.sourceRun, runNode.run.id);
    assert.equal(v1.description, 'first forest');
    assert.ok(typeof v1.metrics['eval/accuracy']?.last === 'number', 'metrics snapshot of the run');
    assert.ok(existsSync(v1.filePath) && v1.filePath.startsWith(join(workspaceDir(), STORE, 'registry', 'models')));

    const second = await vscode.commands.executeCommand('mlwb.registerModel', vscode.Uri.file(outside), { model: MODEL, description: '' });
    assert.deepEqual(second, { model: MODEL, version: 2 });
    const v2 = (await store()).getVersion(MODEL, 2)!;
    assert.equal(v2.sourceRun, undefined);
    assert.equal(v2.format, 'pickle');

    const [model] = await models();
    const item = tree().getTreeItem(model);
    assert.equal(label(item), MODEL);
    assert.equal(item.contextValue, 'model');
    assert.equal(item.description, '2 versions');
    assert.deepEqual((await versions()).map((v) => label(tree().getTreeItem(v))), ['v2', 'v1'], 'newest first');
    const v1Item = (await versionItem(1))!;
    assert.equal(v1Item.contextValue, 'version.none');
    assert.equal((v1Item.iconPath as vscode.ThemeIcon).id, 'circle-large-outline');
    const node = (await versions()).find((v) => v.version.version === 1)!;
    const tooltip = ((await tree().resolveTreeItem(v1Item, node)).tooltip as vscode.MarkdownString).value;
    assert.ok(tooltip.includes(runNode.run.id), 'tooltip names the source run');
    assert.match(tooltip, /format pickle · [\d.]+ (B|KB)/);
    assert.match(tooltip, /\| eval\/accuracy \| (0\.\d+|1) \|/);
  });

  it('promotes through Staging and Production; promoting another to Production archives the first and says so', async () => {
    const staged = (await vscode.commands.executeCommand('mlwb.promoteToStaging', { model: MODEL, version: 1 })) as StageChange & { message: string };
    assert.deepEqual(staged.archived, []);
    assert.equal(staged.message, `${MODEL} v1 is now in Staging.`);
    await waitFor(async () => (await versionItem(1))?.contextValue === 'version.staging', 'v1 in staging');
    assert.match(String((await versionItem(1))!.description), /^Staging · /);

    const v1prod = (await vscode.commands.executeCommand('mlwb.promoteToProduction', `${MODEL}@v1`)) as StageChange;
    assert.deepEqual(v1prod.archived, []);
    const node2 = (await versions()).find((v) => v.version.version === 2)!;
    const v2prod = (await vscode.commands.executeCommand('mlwb.promoteToProduction', node2)) as StageChange & { message: string };
    assert.deepEqual(v2prod.archived, [1]);
    assert.equal(v2prod.message, `${MODEL} v2 is now in Production; v1 was archived (one Production version per model).`);

    const s = await store();
    assert.deepEqual(s.listVersions(MODEL).map((v) => [v.version, v.stage]), [[2, 'production'], [1, 'archived']]);
    assert.equal(s.listVersions(MODEL).filter((v) => v.stage === 'production').length, 1, 'one Production version per model');
    await waitFor(async () => (await versionItem(1))?.contextValue === 'version.archived', 'v1 archived in the view');
    assert.match(String((await versionItem(2))!.description), /^Production · /);
    assert.equal(((await versionItem(2))!.iconPath as vscode.ThemeIcon).id, 'rocket');
    assert.equal(tree().getTreeItem((await models())[0]).description, '2 versions · Production v2');

    const history = s.getVersion(MODEL, 1)!.stageHistory;
    assert.deepEqual(history.map((h) => [h.from, h.to, h.archivedBy]), [[undefined, 'none', undefined], ['none', 'staging', undefined], ['staging', 'production', undefined], ['production', 'archived', 2]]);
    assert.ok(history.every((h) => typeof h.ts === 'number' && h.ts > 0), 'every transition has its time');
  });

  it('sets aliases by MLflow rules and moves them atomically, telling where from; removes them', async () => {
    const set = (await vscode.commands.executeCommand('mlwb.setAlias', { model: MODEL, version: 1 }, 'champion')) as { previous?: number; message: string };
    assert.equal(set.previous, undefined);
    await vscode.commands.executeCommand('mlwb.setAlias', { model: MODEL, version: 1 }, 'candidate');
    const moved = (await vscode.commands.executeCommand('mlwb.setAlias', { model: MODEL, version: 2 }, 'champion')) as { previous?: number; message: string };
    assert.equal(moved.previous, 1);
    assert.equal(moved.message, `@champion moved from v1 to v2 of ${MODEL}.`);
    const s = await store();
    assert.equal(s.versionByAlias(MODEL, 'champion')?.version, 2);
    assert.deepEqual(s.getVersion(MODEL, 1)!.aliases, ['candidate']);
    await waitFor(async () => String((await versionItem(2))?.description).startsWith('Production · @champion'), 'the alias badge');
    assert.equal((await versionItem(2))!.contextValue, 'version.production.aliased');

    for (const bad of ['latest', 'v3', 'has space', '']) {
      assert.equal(await vscode.commands.executeCommand('mlwb.setAlias', { model: MODEL, version: 1 }, bad), undefined, `"${bad}" is refused`);
    }
    assert.deepEqual((await store()).getVersion(MODEL, 1)!.aliases, ['candidate'], 'nothing changed');

    assert.equal(await vscode.commands.executeCommand('mlwb.removeAlias', { model: MODEL, version: 1 }), true, 'its only alias, without asking');
    assert.deepEqual((await store()).getVersion(MODEL, 1)!.aliases, []);
    await waitFor(async () => (await versionItem(1))?.contextValue === 'version.archived', 'no alias on v1');
  });

  it('describes a version', async () => {
    await vscode.commands.executeCommand('mlwb.describeVersion', { model: MODEL, version: 2 }, 'a single tree, for comparison');
    assert.equal((await store()).getVersion(MODEL, 2)!.description, 'a single tree, for comparison');
  });

  it('a click on a version previews its panel (the next click replaces it), a double click keeps it', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const clickVersion = async (version: number) => {
      const item = (await versionItem(version))!;
      assert.equal(item.command?.command, 'mlwb.previewVersion');
      return vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
    };
    const v1 = { model: MODEL, version: 1 };
    const v2 = { model: MODEL, version: 2 };
    await clickVersion(1);
    assert.equal(wb.versions.isPreview(v1), true);
    await waitFor(() => (wb.versions.shown(v1)?.type === 'version' ? true : undefined), 'v1 shown in the preview');
    // The tabs API hears of a new or renamed tab from the renderer, after the panel already has its data.
    const activeTab = () => vscode.window.tabGroups.activeTabGroup.activeTab?.label;
    await waitFor(() => (activeTab() === `${MODEL} v1 (preview)` ? true : undefined), 'the v1 preview tab active', 30_000, activeTab);
    await clickVersion(2);
    assert.equal(wb.versions.isPreview(v2), true);
    await waitFor(() => (wb.versions.shown(v1) === undefined ? true : undefined), 'the v1 preview replaced');
    await clickVersion(2);
    assert.equal(wb.versions.isPreview(v2), false, 'the double click keeps it');
    await waitFor(() => (vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label === `${MODEL} v2`) ? true : undefined), 'v2 kept');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens the version panel, which shows lineage, history and metrics against Production, and follows changes', async () => {
    const ref = { model: MODEL, version: 1 };
    await vscode.commands.executeCommand('mlwb.openVersion', ref);
    const shown = () => wb.versions.shown(ref) as Extract<ToVersionPanel, { type: 'version' }> | undefined;
    await waitFor(() => shown()?.type === 'version', 'the panel to get its data (after its ready message)');
    // The tabs API hears of the tab (and its title) from the renderer, after the panel already has its data.
    await waitFor(() => (vscode.window.tabGroups.activeTabGroup.activeTab?.label === `${MODEL} v1` ? true : undefined), 'the v1 tab active',
      30_000, () => vscode.window.tabGroups.activeTabGroup.activeTab?.label);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab!;
    assert.equal((tab.input as vscode.TabInputWebview).viewType.endsWith('mlwb.modelVersion'), true);
    const data = shown()!.data;
    assert.equal(data.stage, 'archived');
    assert.equal(data.run?.id, runNode.run.id);
    assert.ok(data.run?.params.some((p) => p.key === 'model.trees' && p.value === '11'));
    assert.equal(data.productionVersion, 2);
    assert.deepEqual(data.history.map((h) => h.to), ['none', 'staging', 'production', 'archived']);
    assert.ok(data.metrics.some((m) => m.key === 'eval/accuracy' && m.value !== null && m.production === null), 'v2 came from no run: nothing to compare');

    await vscode.commands.executeCommand('mlwb.promoteToProduction', ref);
    await waitFor(() => shown()?.data.stage === 'production', 'the panel to follow the promotion');
    assert.equal(shown()!.data.productionVersion, undefined);
  });

  it("opens, reveals and copies the path of a version's file", async () => {
    const v1 = (await store()).getVersion(MODEL, 1)!;
    assert.equal(((await vscode.commands.executeCommand('mlwb.copyVersionPath', { model: MODEL, version: 1 })) as string), v1.filePath);
    assert.equal(await vscode.env.clipboard.readText(), v1.filePath);
    const revealed = (await vscode.commands.executeCommand('mlwb.revealVersionFile', { model: MODEL, version: 1 })) as vscode.Uri;
    assert.equal(revealed.fsPath, v1.filePath);
    await vscode.commands.executeCommand('mlwb.openVersionFile', { model: MODEL, version: 1 });
    await waitFor(
      () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => (t.input as { uri?: vscode.Uri } | undefined)?.uri?.fsPath === v1.filePath)),
      'an editor on the file',
    );
  });

  it('rebuilds the same registry from its journal', async () => {
    const s = await store();
    const before = { models: s.listModels(), versions: s.listVersions(MODEL), history: s.modelHistory(MODEL), v1: s.getVersion(MODEL, 1) };
    await vscode.commands.executeCommand('mlwb.rebuildIndex');
    const again = await store();
    assert.deepEqual({ models: again.listModels(), versions: again.listVersions(MODEL), history: again.modelHistory(MODEL), v1: again.getVersion(MODEL, 1) }, before);
  });

  it('deletes a version and then the model (confirmation answered by the caller); they leave the view and their files go', async () => {
    const s = await store();
    const file2 = s.getVersion(MODEL, 2)!.filePath;
    assert.equal(await vscode.commands.executeCommand('mlwb.deleteVersion', { model: MODEL, version: 2 }, { confirm: false }), true);
    assert.equal(existsSync(file2), false);
    await waitFor(async () => (await versions()).length === 1, 'v2 to leave the view');
    assert.equal(wb.versions.shown({ model: MODEL, version: 2 }), undefined);

    const file1 = s.getVersion(MODEL, 1)!.filePath;
    const [model] = await models();
    assert.equal(await vscode.commands.executeCommand('mlwb.deleteModel', model, { confirm: false }), true);
    assert.equal(existsSync(file1), false);
    assert.deepEqual((await store()).listModels(), []);
    await waitFor(async () => (await models()).length === 0, 'the model to leave the view');
    await waitFor(() => wb.versions.shown({ model: MODEL, version: 1 })?.type === 'gone', 'the open panel to say its version is gone');
  });
});
