import * as vscode from 'vscode';
import { showError } from './log';

/** Thrown when the user dismisses a prompt (Escape on a quick pick, a modal's Cancel): the command ends quietly. */
export class Cancelled extends Error {}

/**
 * Registers a command whose failure is shown (with the log one click away), never thrown at the
 * menu or keybinding that ran it. Returns what the command returns, undefined after a failure or a
 * Cancelled prompt.
 */
export function registerCommand(id: string, fn: (...args: unknown[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof Cancelled) return undefined;
      void showError(`${id}: ${(err as Error).message}`);
      return undefined;
    }
  });
}

/** A modal yes/no; `confirm: false` in a command's options skips it (tests, scripted use). */
export async function confirmed(message: string, detail: string, action: string, options: unknown): Promise<boolean> {
  if (typeof options === 'object' && options !== null && (options as { confirm?: unknown }).confirm === false) return true;
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
}
