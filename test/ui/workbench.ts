// Root hooks for the ui layer: one real workbench (code-server + Debian's Chromium) for the whole
// suite, with the extension loaded; helpers that drive it the way a person does.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';

interface Session {
  page: Page;
  url: string;
  server: { logFile: string };
  close(): Promise<void>;
}

export const resultsDir = resolve(__dirname, '../../../test-results');
let session: Session | undefined;
let workspaceDir = '';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    // The harness is ESM; the compiled tests are CommonJS.
    const harness = await import(resolve(__dirname, '../../../test/harness/workbench-session.mjs'));
    workspaceDir = harness.scratchWorkspace();
    session = (await harness.openWorkbench({ workspace: workspaceDir })) as Session;
    await session.page.goto(session.url);
    await session.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await session.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
  },
  async afterAll() {
    await session?.close();
  },
};

export function page(): Page {
  if (!session) throw new Error('workbench not started');
  return session.page;
}

export function workspace(): string {
  return workspaceDir;
}

export async function screenshot(name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.png`);
  await page().screenshot({ path: file });
  return file;
}

/** Runs a command from the palette by its title, as a user would. */
export async function runCommand(title: string): Promise<void> {
  const p = page();
  await p.keyboard.press('F1');
  const input = p.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await p.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await p.keyboard.press('Enter');
}

export async function openContainer(title = 'MLOps Workbench'): Promise<void> {
  const item = page().locator(`.activitybar .action-item:has(a[aria-label^="${title}"])`);
  // Clicking the icon of the container already shown would close the side bar.
  if (!(await item.evaluate((el) => el.classList.contains('checked')))) await item.locator('a').click();
  await page().locator('.pane-header', { hasText: 'Runs' }).waitFor();
}

/** The document inside the active webview panel. */
export function webview(): FrameLocator {
  return page().frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

export function paneBody(viewName: string): Locator {
  return page().locator('.pane', { has: page().locator('.pane-header', { hasText: viewName }) }).locator('.pane-body');
}
