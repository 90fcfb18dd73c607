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
let slurmEnvironment: Record<string, string> = {};

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    // The harness is ESM; the compiled tests are CommonJS.
    const harness = await import(resolve(__dirname, '../../../test/harness/workbench-session.mjs'));
    workspaceDir = harness.scratchWorkspace();
    // The Slurm journey needs the test cluster up before code-server: its SLURM_CONF must reach the extension host.
    slurmEnvironment = this.test?.parent?.suites.some((s) => /slurm/i.test(s.file ?? ''))
      ? await (await import(resolve(__dirname, '../../../test/harness/slurm-cluster.mjs'))).testClusterEnv()
      : { MLWB_SLURM_UNAVAILABLE: 'no Slurm journey among the specs' };
    session = (await harness.openWorkbench({ workspace: workspaceDir, env: slurmEnvironment })) as Session;
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

/** What the workbench got for Slurm: the test cluster's SLURM_CONF, or MLWB_SLURM_UNAVAILABLE saying why there is none. */
export function slurmEnv(): Record<string, string> {
  return slurmEnvironment;
}

export async function screenshot(name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.png`);
  await page().screenshot({ path: file });
  return file;
}

/** Opens a workspace file with Quick Open (Ctrl+P), as a user does. */
export async function openFile(name: string): Promise<void> {
  const p = page();
  const input = p.locator('.quick-input-widget .quick-input-box input');
  const row = p.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
  // Keyboard focus may sit in a terminal or a webview after other journeys, which keep Ctrl+P: give it
  // back to the workbench (the status bar takes a click harmlessly) and try again. A file created just
  // before may not be in Quick Open's file list yet ("No matching results"): ask again.
  for (let attempt = 1; ; attempt++) {
    await p.keyboard.press('Control+P');
    if (await input.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
      await input.fill(name);
      if (await row.waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
    }
    if (attempt === 6) throw new Error(`Quick Open did not open or did not find ${name}`);
    await p.keyboard.press('Escape');
    await p.locator('.part.statusbar').click({ position: { x: 5, y: 5 } });
    await p.waitForTimeout(1000);
  }
  await p.keyboard.press('Enter');
  await p.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
}

/** Runs a command from the palette by its title, as a user would. */
export async function runCommand(title: string): Promise<void> {
  const p = page();
  await p.keyboard.press('F1');
  const input = p.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(`>${title}`);
  // The row with exactly this title: "Submit to Slurm…" also matches "Submit Sweep to Slurm…", listed first.
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = p.locator('.quick-input-widget .monaco-list-row').filter({ has: p.locator('.label-name', { hasText: exact }) }).first();
  await row.waitFor();
  await row.click();
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

/**
 * Right-clicks `row` and clicks `entry` in its context menu, as a user does; the menu is opened again (up to
 * 3 times) when the entry is not in it yet, or when the menu closed before the click (a view refreshing under it).
 * `whileOpen` runs with the menu shown (a screenshot).
 */
export async function contextMenu(row: Locator, entry: string | RegExp, whileOpen?: () => Promise<unknown>): Promise<void> {
  const item = page().locator('.context-view .monaco-menu .action-menu-item', { hasText: entry }).first();
  for (let attempt = 1; ; attempt++) {
    await dismissHover();
    await row.click({ button: 'right' });
    if (await item.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
      await page().waitForTimeout(500); // the menu fades in and ignores a click that comes too soon after it opened
      await whileOpen?.();
      if (await item.click({ timeout: 5_000 }).then(() => true, () => false)) return;
    }
    await page().keyboard.press('Escape');
    if (attempt === 3) throw new Error(`"${entry}" never appeared in the context menu, or it closed before the click`);
  }
}

/**
 * Moves the mouse off the lists and waits for the hover it left (a run's or a version's params and metrics table)
 * to go: a hover left over the rows below takes the next click on one of them.
 */
export async function dismissHover(): Promise<void> {
  await page().mouse.move(1, 1);
  await page().locator('.context-view .monaco-hover').waitFor({ state: 'detached', timeout: 10_000 });
}

export function paneBody(viewName: string): Locator {
  return page().locator('.pane', { has: page().locator('.pane-header', { hasText: viewName }) }).locator('.pane-body');
}
