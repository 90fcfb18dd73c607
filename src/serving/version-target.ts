import * as vscode from 'vscode';
import type { WorkspaceStore } from '../platform/workspace-store';
import { versionRefOf, type VersionRef } from '../registry/model-nodes';
import type { ModelVersionDetail, TrackingStore } from '../store';
import { Cancelled } from '../platform/commands';
import { confirmPickleLoad } from '../platform/pickle-trust';
import { resolveInterpreter } from '../runner/interpreter';


/** Formats `python -m mlwb serve` / `predict` can load. */
// torch: checkpoints of *.mlwb-model.json runs (weights + spec); torch.load unpickles, hence the warning.
const SERVABLE = new Set(['pickle', 'joblib', 'xgboost-json', 'xgboost-ubj', 'torch']);
const PICKLES = new Set(['pickle', 'joblib', 'torch']);

export const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The version a command was given (node, {model, version}, "model@3"), else a quick pick of `among` or of every version. */
export async function versionTarget(store: WorkspaceStore, target: unknown, title: string, among?: VersionRef[]): Promise<ModelVersionDetail> {
  const s = await store.get();
  const ref = versionRefOf(target) ?? (await pickVersion(s, title, among));
  if (!ref) throw new Cancelled();
  const v = s.getVersion(ref.model, ref.version);
  if (!v) throw new Error(`No version v${ref.version} of model "${ref.model}".`);
  return v;
}

async function pickVersion(s: TrackingStore, title: string, among?: VersionRef[]): Promise<VersionRef | undefined> {
  const refs = among ?? s.listModels().flatMap((m) => s.listVersions(m.name).map((v) => ({ model: m.name, version: v.version })));
  if (refs.length === 0) throw new Error(among ? 'No model version is being served.' : 'No registered models yet: register a model file first.');
  if (among && refs.length === 1) return refs[0];
  const items = refs.map((r) => {
    const v = s.getVersion(r.model, r.version);
    return { label: `${r.model} v${r.version}`, description: [v?.stage && v.stage !== 'none' ? v.stage : '', v?.format ?? ''].filter(Boolean).join(' · '), ref: r };
  });
  return (await vscode.window.showQuickPick(items, { title, matchOnDescription: true }))?.ref;
}

/** Throws when the runner cannot load this version's file. */
export function checkServable(v: ModelVersionDetail): void {
  if (v.fileMissing) throw new Error(`The file of ${v.model} v${v.version} is missing: ${v.filePath}`);
  if (!SERVABLE.has(v.format)) {
    throw new Error(`${v.model} v${v.version} is a ${v.format} file: serving and batch prediction take scikit-learn pickle/joblib files and XGBoost JSON/UBJ models.`);
  }
}

/** Serve and Predict load the version's file in Python: a pickle is asked about first (`{ confirm: false }` skips it). */
export async function trustPickle(state: vscode.Memento, v: ModelVersionDetail, action: 'Serve' | 'Predict', options: unknown): Promise<boolean> {
  if (!PICKLES.has(v.format)) return true;
  if (isRecord(options) && options.confirm === false) return true;
  const origin = v.sourceRun ? `It was registered from run ${v.sourceRun}.` : v.sourceFile ? `It was registered from ${v.sourceFile}.` : undefined;
  return confirmPickleLoad(state, { file: v.filePath, sha256: v.sha256, what: `${v.model} v${v.version} (a ${v.format} file)`, action, origin });
}

/** The hash Python must find before it unpickles this version's file (its registered sha256), for a pickle. */
export function agreedSha256(v: ModelVersionDetail): string | undefined {
  return PICKLES.has(v.format) ? v.sha256 : undefined;
}

/** The interpreter serving and prediction run with (the same as runs use). */
export async function pythonFor(): Promise<string> {
  const interpreter = await resolveInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri);
  if (!interpreter) throw new Cancelled(); // resolveInterpreter has already told the user
  return interpreter.path;
}
