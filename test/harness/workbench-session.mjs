// One real workbench for a test layer: a fresh code-server, a copy of a workspace, Chromium on it,
// with the extension loaded as a development extension.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, repoRoot, startCodeServer } from './code-server.mjs';

export const exampleWorkspace = join(repoRoot, 'python-runner/examples/iris');

/** A throwaway copy of `source` (default: the example workspace), so tests never touch the repo. */
export function scratchWorkspace(source = exampleWorkspace) {
  const dir = mkdtempSync(join(tmpdir(), 'mlwb-ws-'));
  cpSync(source, dir, { recursive: true, filter: (src) => !src.includes('.mlwb') });
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  // Debian's interpreter has the ML packages; the pyenv python3 first on PATH does not.
  writeFileSync(join(dir, '.vscode/settings.json'), JSON.stringify({ 'mlwb.pythonPath': '/usr/bin/python3' }, null, 2));
  return dir;
}

/**
 * @param {{ workspace: string, env?: Record<string,string>, testsPath?: string, settings?: object, installed?: string[] }} opts
 */
export async function openWorkbench(opts) {
  const server = await startCodeServer({
    workspace: opts.workspace,
    env: opts.env,
    settings: opts.settings,
    installed: opts.installed,
  });
  const browser = await launchBrowser();
  const page = browser.pages()[0] ?? (await browser.newPage());
  const url = server.workbenchUrl({ extensions: [repoRoot], testsPath: opts.testsPath });
  return {
    server,
    browser,
    page,
    url,
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
    },
  };
}
