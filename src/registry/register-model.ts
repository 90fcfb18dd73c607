import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceStore } from '../platform/workspace-store';
import { runIdOf } from '../runs/run-nodes';
import { checkModelName, runFilePath, type RegisteredVersion, type TrackingStore } from '../store';
import { formatBytes, registerCandidates } from './model-text';
import { modelNameOf, optionsOf } from './model-nodes';

/** Extensions the Explorer's "Register Model…" is offered on (package.json mirrors this list). */
export const MODEL_FILE_EXTENSIONS = ['pkl', 'pickle', 'joblib', 'pt', 'pth', 'onnx', 'json', 'ubj', 'safetensors'];

export interface RegisterOptions {
  /** The file: absolute, or (with a run) relative to the run's files/ directory. */
  file: string;
  model: string;
  description: string;
}

/**
 * Register Model: from a run (pick one of its files, or any other file), from the Explorer (that file),
 * from a model in the Models view (its next version), or from the palette (an open dialog). Then the
 * model (an existing one or a new name) and an optional description. Values given in `options` are
 * not asked for (tests, scripted use).
 */
export async function registerModel(store: WorkspaceStore, target: unknown, rawOptions: unknown): Promise<RegisteredVersion | undefined> {
  const s = await store.get();
  const options = optionsOf<RegisterOptions>(rawOptions);
  const runId = isUri(target) ? undefined : runIdOf(target);
  const source = await pickSource(s, target, runId, options.file);
  if (!source) return undefined;
  const fixedModel = options.model ?? (isModelTarget(target) ? modelNameOf(target) : undefined);
  const model = fixedModel ?? (await pickModel(s, path.basename(source.file)));
  if (model === undefined) return undefined;
  const description =
    options.description ??
    (await vscode.window.showInputBox({ title: `Register ${path.basename(source.file)} as a version of ${model}`, prompt: 'Description (optional)' }));
  if (description === undefined) return undefined;
  return store.edit((st) => st.registerVersion(model, { sourceFile: source.file, sourceRun: source.run, description: description || undefined }), {
    models: [model],
  });
}

async function pickSource(s: TrackingStore, target: unknown, runId: string | undefined, given: string | undefined): Promise<{ file: string; run?: string } | undefined> {
  if (isUri(target)) return { file: target.fsPath };
  if (runId !== undefined) {
    const run = s.getRun(runId, { logLimit: 0 });
    if (!run) throw new Error(`No run "${runId}".`);
    const filesDir = path.join(s.layout.root, 'runs', run.id, 'files');
    const inRun = (rel: string) => runFilePath(s.layout, run.id, rel);
    if (given !== undefined) return { file: path.isAbsolute(given) ? given : inRun(given), run: run.id };
    const other = { label: '$(folder-opened) Other file…', description: 'any file on disk', rel: undefined as string | undefined };
    const picked = await vscode.window.showQuickPick(
      [
        ...registerCandidates(run.files).map(({ file: f, model }) => ({
          label: f.path, description: [model ? 'model' : '', formatBytes(f.size), f.description].filter(Boolean).join(' · '), rel: f.path as string | undefined,
        })),
        other,
      ],
      { title: `Register Model from ${run.name}`, placeHolder: run.files.length ? 'Which of the run’s files?' : 'This run saved no files: pick another file' },
    );
    if (!picked) return undefined;
    if (picked.rel !== undefined) return { file: inRun(picked.rel), run: run.id };
    const file = await openDialog(vscode.Uri.file(filesDir));
    return file ? { file, run: run.id } : undefined;
  }
  if (given !== undefined) return { file: path.resolve(given) };
  const file = await openDialog(vscode.workspace.workspaceFolders?.[0]?.uri);
  return file ? { file } : undefined;
}

async function openDialog(defaultUri: vscode.Uri | undefined): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Register Model: pick the model file',
    canSelectMany: false,
    defaultUri,
    openLabel: 'Register',
    filters: { 'Model files': MODEL_FILE_EXTENSIONS, 'All files': ['*'] },
  });
  return picked?.[0]?.fsPath;
}

async function pickModel(s: TrackingStore, fileName: string): Promise<string | undefined> {
  const models = s.listModels();
  const newModel = { label: '$(add) New model…', description: '', name: undefined as string | undefined };
  let name: string | undefined;
  if (models.length > 0) {
    const picked = await vscode.window.showQuickPick(
      [newModel, ...models.map((m) => ({ label: m.name, description: `next: v${(m.latestVersion ?? 0) + 1}`, detail: m.description, name: m.name as string | undefined }))],
      { title: `Register ${fileName} as a version of…`, placeHolder: 'An existing model, or a new one' },
    );
    if (!picked) return undefined;
    name = picked.name;
  }
  if (name !== undefined) return name;
  const stem = fileName.replace(/\.[^.]+$/, '');
  return vscode.window.showInputBox({
    title: `Register ${fileName} as a new model`,
    prompt: 'Model name (no "/", "\\" or "..")',
    value: stem,
    validateInput: (v) => {
      const checked = checkModelName(v);
      if (checked instanceof Error) return checked.message;
      return models.some((m) => m.name === checked)
        ? { message: `"${checked}" exists: this file becomes its next version.`, severity: vscode.InputBoxValidationSeverity.Info }
        : undefined;
    },
  });
}

function isUri(x: unknown): x is vscode.Uri {
  return x instanceof vscode.Uri;
}

function isModelTarget(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'model';
}
