import * as vscode from 'vscode';
import { splitArgs } from './launch-spec';

/** An argument line from the user, checked as it is typed (an unclosed quote is refused). */
export function askArgs(title: string, value: string, prompt: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({ title, value, prompt, validateInput: (v) => problemOf(() => splitArgs(v)) });
}

/** What `parse` throws, as an input box shows it; undefined when it parses. */
export function problemOf(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
