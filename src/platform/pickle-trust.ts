import * as vscode from 'vscode';
import { sha256File } from './file-hash';

/** Workspace state: the files (path + content hash when known) the user agreed to load. */
const TRUSTED_KEY = 'mlwb.trustedPickles';

export interface PickleLoad {
  /** The file Python would load. */
  file: string;
  /** Its sha256 when known: a changed file is asked about again. */
  sha256?: string;
  /** What it is, for the question ("iris v3", "the weights of run train-3fa9c2"). */
  what: string;
  /** The button that loads it ("Serve", "Predict", "Explain", "Load"). */
  action: string;
  /** Where it came from, if known ("It was registered from run …"). */
  origin?: string;
}

/**
 * A pickle (pickle, joblib, a torch checkpoint) runs code when it is loaded. Before Python loads one,
 * the user is asked, modally and once per file, naming the file and where it came from. Files are
 * never loaded unless a command the user started names them; this is the one place that asks.
 */
export async function confirmPickleLoad(state: vscode.Memento, load: PickleLoad): Promise<boolean> {
  const key = `${load.file}#${load.sha256 ?? ''}`;
  const trusted = state.get<string[]>(TRUSTED_KEY, []);
  if (trusted.includes(key)) return true;
  const pick = await vscode.window.showWarningMessage(
    `Load ${load.what}? Loading a pickle runs code from it.`,
    {
      modal: true,
      detail: `${load.file}\n\nA pickle file runs code with your permissions when it is loaded: ${load.action.toLowerCase()} it only if you trust where it came from.${load.origin ? ` ${load.origin}` : ''} You are asked once per file.`,
    },
    load.action,
  );
  if (pick !== load.action) return false;
  await state.update(TRUSTED_KEY, [...trusted, key].slice(-500));
  return true;
}

/**
 * Asks about the file's current bytes (hashed now) and returns the sha256 that was agreed to, for Python
 * to check before it unpickles (`--model-sha256`): a file swapped after the question is refused there.
 * Undefined when declined. `confirm: false` (scripted use, tests) skips the question but still binds the hash.
 */
export async function confirmPickleFile(state: vscode.Memento, load: Omit<PickleLoad, 'sha256'>, confirm = true): Promise<string | undefined> {
  const sha256 = await sha256File(load.file);
  if (!confirm) return sha256;
  return (await confirmPickleLoad(state, { ...load, sha256 })) ? sha256 : undefined;
}
