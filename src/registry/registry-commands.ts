import * as vscode from 'vscode';
import { ClickKind } from '../platform/click-kind';
import { Cancelled, confirmed, registerCommand } from '../platform/commands';
import type { WorkspaceStore } from '../platform/workspace-store';
import { checkAlias, type ModelStage, type ModelVersionDetail, type TrackingStore } from '../store';
import type { GateRecord } from '../store/records';
import { aliasMessage, STAGE_LABEL, stageMessage, versionLabel } from './model-text';
import { modelNameOf, optionsOf, versionRefOf, type VersionRef } from './model-nodes';
import type { ModelsView } from './models-view';
import { registerModel } from './register-model';
import type { VersionPanels } from './version-panel/version-panel';

/** The promotion gate (src/evaluate), bound after the registry's commands exist. */
export interface Gatekeeper {
  applies(model: string): Promise<boolean>;
  run(v: ModelVersionDetail, options: Record<string, unknown>): Promise<{ promote: boolean; gate?: GateRecord; reason?: 'blocked' | 'cancelled' }>;
}

/**
 * Registry commands, from the Models view's menus, the version panel's buttons, the palette and tests.
 * Each takes its target (a tree node, `{ model, version }`, "model@3", or a model name), then the value
 * when the caller has it (alias, description, `{ confirm: false }`); otherwise it asks. Without a
 * target: the view's selection, else a quick pick.
 */
export function registerRegistryCommands(store: WorkspaceStore, view: ModelsView, panels: VersionPanels, gatekeeper: { current?: Gatekeeper } = {}): vscode.Disposable[] {
  const clicks = new ClickKind();
  const versionOf = async (target: unknown): Promise<ModelVersionDetail> => {
    const ref = versionRefOf(target) ?? versionRefOf(view.view.selection[0]) ?? (await pickVersion(await store.get()));
    if (!ref) throw new Cancelled();
    const found = (await store.get()).getVersion(ref.model, ref.version);
    if (!found) throw new Error(`No version ${versionLabel(ref.version)} of model "${ref.model}".`);
    return found;
  };
  const modelOf = async (target: unknown): Promise<string> => {
    const name = modelNameOf(target) ?? modelNameOf(view.view.selection[0]) ?? (await pickModel(await store.get()));
    if (!name) throw new Cancelled();
    if (!(await store.get()).listModels().some((m) => m.name === name)) throw new Error(`No model "${name}".`);
    return name;
  };
  const edit = <T>(model: string, fn: (s: TrackingStore) => Promise<T>) => store.edit(fn, { models: [model] });

  const setStage = (stage: ModelStage) => async (target?: unknown, options?: unknown) => {
    const v = await versionOf(target);
    const opts = optionsOf<Record<string, unknown>>(options ?? (versionRefOf(target) && typeof target === 'object' ? target : undefined));
    let gate: GateRecord | undefined;
    const gk = gatekeeper.current;
    if (stage === 'production' && v.stage !== 'production' && gk && (await gk.applies(v.model))) {
      const decision = await gk.run(v, opts);
      gate = decision.gate;
      if (!decision.promote) {
        if (decision.reason !== 'blocked' || !gate) throw new Cancelled();
        await edit(v.model, (s) => s.recordBlockedPromotion(v.model, v.version, stage, gate!));
        const message = `The promotion gate blocked ${v.model} ${versionLabel(v.version)}: ${gate.problems.join('; ')}`;
        void vscode.window.showErrorMessage(message);
        return { archived: [], message, blocked: true, gate };
      }
    }
    const change = await edit(v.model, (s) => s.setStage(v.model, v.version, stage, gate ? { gate } : {}));
    const message = v.stage === stage ? `${v.model} ${versionLabel(v.version)} is already ${stage === 'archived' ? 'archived' : `in ${STAGE_LABEL[stage]}`}.` : stageMessage(v.model, v.version, stage, change.archived);
    void (change.archived.length ? vscode.window.showWarningMessage(message) : vscode.window.showInformationMessage(message));
    return { ...change, message, ...(gate ? { gate } : {}) };
  };

  return [
    registerCommand('mlwb.registerModel', async (target?: unknown, options?: unknown) => {
      const registered = await registerModel(store, target, Array.isArray(options) ? undefined : options);
      if (!registered) return undefined;
      const text = `Registered ${registered.model} ${versionLabel(registered.version)}.`;
      void vscode.window.showInformationMessage(text, 'Open Version').then((a) => a && panels.show(registered));
      if (view.view.visible) await view.reveal(registered.model, registered.version).catch(() => undefined);
      return registered;
    }),
    registerCommand('mlwb.promoteToStaging', setStage('staging')),
    registerCommand('mlwb.promoteToProduction', setStage('production')),
    registerCommand('mlwb.archiveVersion', setStage('archived')),
    registerCommand('mlwb.setAlias', async (target?: unknown, alias?: unknown) => {
      const v = await versionOf(target);
      const s = await store.get();
      const value =
        typeof alias === 'string'
          ? alias
          : await vscode.window.showInputBox({
              title: `Set Alias on ${v.model} ${versionLabel(v.version)}`,
              prompt: 'Letters, digits, "_" and "-" (MLflow’s rules): champion, candidate, …',
              validateInput: (text) => {
                const checked = checkAlias(text);
                if (checked instanceof Error) return checked.message;
                const holder = s.versionByAlias(v.model, checked);
                if (holder && holder.version !== v.version) return { message: `@${checked} moves here from ${versionLabel(holder.version)}.`, severity: vscode.InputBoxValidationSeverity.Info };
                return undefined;
              },
            });
      if (value === undefined) return undefined;
      const change = await edit(v.model, (st) => st.setAlias(v.model, value, v.version));
      const message = aliasMessage(v.model, value, v.version, change.previous);
      void vscode.window.showInformationMessage(message);
      return { ...change, message };
    }),
    registerCommand('mlwb.removeAlias', async (target?: unknown, alias?: unknown) => {
      const v = await versionOf(target);
      if (v.aliases.length === 0) throw new Error(`${v.model} ${versionLabel(v.version)} has no alias.`);
      const value =
        typeof alias === 'string'
          ? alias
          : v.aliases.length === 1
            ? v.aliases[0]
            : (await vscode.window.showQuickPick(v.aliases.map((a) => ({ label: `@${a}`, alias: a })), { title: `Remove which alias of ${v.model} ${versionLabel(v.version)}?` }))?.alias;
      if (value === undefined) return undefined;
      if (!v.aliases.includes(value)) throw new Error(`${v.model} ${versionLabel(v.version)} has no alias "${value}".`);
      await edit(v.model, (s) => s.removeAlias(v.model, value));
      return true;
    }),
    registerCommand('mlwb.describeVersion', async (target?: unknown, description?: unknown) => {
      const v = await versionOf(target);
      const value =
        typeof description === 'string'
          ? description
          : await vscode.window.showInputBox({ title: `Description of ${v.model} ${versionLabel(v.version)}`, value: v.description ?? '', prompt: 'Empty clears it.' });
      if (value !== undefined) await edit(v.model, (s) => s.describeVersion(v.model, v.version, value));
      return value;
    }),
    registerCommand('mlwb.openVersion', async (target?: unknown) => {
      const v = await versionOf(target);
      panels.show({ model: v.model, version: v.version });
      return { model: v.model, version: v.version };
    }),
    // A version item's own command: preview on a single click, keep on a double one (see src/platform/click-kind.ts).
    registerCommand('mlwb.previewVersion', async (target?: unknown, how?: unknown) => {
      const v = await versionOf(target);
      const ref = { model: v.model, version: v.version };
      if (how === 'keep' || clicks.click(`${v.model}@${v.version}`) === 'double') panels.show(ref);
      else panels.preview(ref);
      return ref;
    }),
    registerCommand('mlwb.openVersionFile', async (target?: unknown) => {
      const v = await versionOf(target);
      const uri = fileOf(v);
      await vscode.commands.executeCommand('vscode.open', uri);
      return uri;
    }),
    registerCommand('mlwb.revealVersionFile', async (target?: unknown) => {
      const v = await versionOf(target);
      const uri = fileOf(v);
      // In the Explorer when the store is inside the workspace; otherwise the OS file manager.
      if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
      else await vscode.commands.executeCommand('revealFileInOS', uri);
      return uri;
    }),
    registerCommand('mlwb.copyVersionPath', async (target?: unknown) => {
      const v = await versionOf(target);
      await vscode.env.clipboard.writeText(v.filePath);
      vscode.window.setStatusBarMessage(`Copied the path of ${v.model} ${versionLabel(v.version)}`, 3000);
      return v.filePath;
    }),
    registerCommand('mlwb.deleteVersion', async (target?: unknown, options?: unknown) => {
      const v = await versionOf(target);
      const detail = [
        v.stage !== 'none' ? `It is in ${STAGE_LABEL[v.stage]}.` : '',
        v.aliases.length ? `Its aliases (${v.aliases.map((a) => `@${a}`).join(', ')}) go with it.` : '',
        'Its copied file is removed; the deletion is recorded in registry/events.jsonl and its number is not given again.',
      ].filter(Boolean).join(' ');
      if (!(await confirmed(`Delete ${v.model} ${versionLabel(v.version)}?`, detail, 'Delete', optionsOf(options)))) return false;
      await edit(v.model, (s) => s.deleteVersion(v.model, v.version));
      return true;
    }),
    registerCommand('mlwb.deleteModel', async (target?: unknown, options?: unknown) => {
      const model = await modelOf(target);
      const count = (await store.get()).listVersions(model).length;
      const detail = `${count === 0 ? 'It has no versions.' : `Its ${count} version${count === 1 ? '' : 's'} and their files go with it.`} The deletion is recorded in registry/events.jsonl; the name can be used again.`;
      if (!(await confirmed(`Delete model "${model}"?`, detail, 'Delete', optionsOf(options)))) return false;
      await edit(model, (s) => s.deleteModel(model));
      return true;
    }),
  ];
}


function fileOf(v: ModelVersionDetail): vscode.Uri {
  if (v.fileMissing) throw new Error(`The file of ${v.model} ${versionLabel(v.version)} is missing: ${v.filePath}`);
  return vscode.Uri.file(v.filePath);
}

async function pickVersion(s: TrackingStore): Promise<VersionRef | undefined> {
  const items = s.listModels().flatMap((m) =>
    s.listVersions(m.name).map((v) => ({
      label: `${m.name} ${versionLabel(v.version)}`,
      description: [v.stage === 'none' ? '' : STAGE_LABEL[v.stage], ...v.aliases.map((a) => `@${a}`)].filter(Boolean).join(' · '),
      ref: { model: m.name, version: v.version },
    })),
  );
  if (items.length === 0) throw new Error('No registered models yet: register a model file first.');
  return (await vscode.window.showQuickPick(items, { title: 'Which model version?', matchOnDescription: true }))?.ref;
}

async function pickModel(s: TrackingStore): Promise<string | undefined> {
  const models = s.listModels();
  if (models.length === 0) throw new Error('No registered models yet.');
  return (await vscode.window.showQuickPick(models.map((m) => ({ label: m.name, description: `${m.versionCount} versions` })), { title: 'Which model?' }))?.label;
}
