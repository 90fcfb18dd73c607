// Root hooks and helpers of the ui layer: one code-server and one Chromium for the whole layer, driven the
// way a person does. Each journey (a file's `journey(...)`) opens a fresh copy of the example workspace in a
// fresh window, so it starts from a known state (no editor, panel, hover, quick input, notification or
// terminal; an empty store) whatever ran before it: any journey runs alone (MLWB_TEST_GREP) or in any order
// (MLWB_TEST_SHUFFLE). Helpers wait on conditions, and when a wait times out its error says what was there
// instead; a failing test prints a screenshot's path and what the workbench showed (whatTheWorkbenchShows).
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { show, until } from '../shared/until';

export { until };

interface Session {
  page: Page;
  server: { logFile: string; home: string; workbenchUrl(o: { folder?: string; extensions?: string[] }): string };
  close(): Promise<void>;
}
interface Harness {
  scratchWorkspace(): string;
  openWorkbench(o: { workspace: string; env?: Record<string, string>; settings?: object }): Promise<Session>;
}

const repo = resolve(__dirname, '../../..');
export const resultsDir = join(repo, 'test-results');
let harness: Harness;
let session: Session | undefined;
let workspaceDir = '';
let windowOpened = 0;
let slurmEnvironment: Record<string, string> = {};

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    // The harness is ESM; the compiled tests are CommonJS.
    harness = await import(join(repo, 'test/harness/workbench-session.mjs'));
    // The Slurm journey needs the test cluster up before code-server: its SLURM_CONF must reach the extension host.
    slurmEnvironment = this.test?.parent && runsSlurmJourney(this.test.parent)
      ? await (await import(join(repo, 'test/harness/slurm-cluster.mjs'))).testClusterEnv()
      : { MLWB_SLURM_UNAVAILABLE: 'no Slurm journey among the tests run' };
    session = await harness.openWorkbench({ workspace: harness.scratchWorkspace(), env: slurmEnvironment });
    watchCsp(session.page);
  },
  async afterAll() {
    await session?.close();
  },
};

function runsSlurmJourney(root: Mocha.Suite): boolean {
  const grep = process.env.MLWB_TEST_GREP;
  const tests = (s: Mocha.Suite): Mocha.Test[] => [...s.tests, ...s.suites.flatMap(tests)];
  return root.suites.some((s) => /slurm/i.test(s.file ?? '') && tests(s).some((t) => !grep || t.fullTitle().includes(grep)));
}

/**
 * A journey: a `describe` whose first hook opens a fresh window on a fresh copy of the example workspace,
 * and whose failing tests (or hooks) print what the workbench showed.
 */
export function journey(title: string, body: (this: Mocha.Suite) => void): Mocha.Suite {
  return describe(title, function () {
    before('open a fresh window on a fresh workspace', async function () {
      this.timeout(150_000);
      await freshWindow();
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') console.log(await whatTheWorkbenchShows(`${title}-${this.currentTest.title}`));
    });
    after(async function () {
      // A failed `before` (or `after`) hook: afterEach did not run for it.
      const hooks = (this.test?.parent as unknown as { _beforeAll: Mocha.Hook[] } | undefined)?._beforeAll ?? [];
      if (hooks.some((h) => h.state === 'failed')) console.log(await whatTheWorkbenchShows(`${title}-before`));
    });
    body.call(this);
    it('no panel violated its Content Security Policy', () => {
      assert.deepEqual(cspViolations, [], `CSP violations in webview frames:\n${cspViolations.join('\n')}`);
    });
  });
}

/** The CSP violations Chromium reported on the console of a webview frame during the current journey ("Refused
 * to …" / "Applying inline style violates the following Content Security Policy directive …"); reset by each
 * fresh window. The workbench's own page is not ours, and is left out. */
const cspViolations: string[] = [];

function watchCsp(p: Page): void {
  p.on('console', (msg) => {
    const { url, lineNumber, columnNumber } = msg.location();
    if (/webview|vscode-resource|vscode-cdn/i.test(url ?? '') && /Content Security Policy|violates the following/i.test(msg.text())) {
      cspViolations.push(`${msg.text()} (at ${url}:${lineNumber}:${columnNumber})`);
    }
  });
}

async function freshWindow(): Promise<void> {
  const p = page();
  cspViolations.length = 0;
  workspaceDir = harness.scratchWorkspace();
  windowOpened = Date.now();
  await p.goto(session!.server.workbenchUrl({ folder: workspaceDir, extensions: [repo] }));
  await p.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await p.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
  await pointerAway();
}

export function page(): Page {
  if (!session) throw new Error('workbench not started');
  return session.page;
}

/** The current journey's workspace folder. */
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

// -- waiting ---------------------------------------------------------------------------------------------

/** Waits for `target` to reach `state`; on timeout the error adds what `seen` reports. */
export async function waitFor(target: Locator, what: string, opts: { timeout?: number; state?: 'visible' | 'attached' | 'detached' | 'hidden'; seen?: () => unknown } = {}): Promise<Locator> {
  try {
    await target.waitFor({ timeout: opts.timeout ?? 30_000, state: opts.state });
  } catch (err) {
    const seen = opts.seen ? `; it showed: ${show(await Promise.resolve(opts.seen()).catch((e: Error) => `(${e.message})`))}` : '';
    throw new Error(`${what} was not ${opts.state ?? 'visible'} after ${(opts.timeout ?? 30_000) / 1000} s${seen}\n${(err as Error).message.split('\n')[0]}`);
  }
  return target;
}

/**
 * Waits until `target` has stopped moving: its animations (a menu's fade-in, a toast sliding in) are over and
 * its box is the same two frames apart (a scroll into view has ended). For screenshots and clicks that need it.
 */
export async function settled(target: Locator, timeout = 30_000): Promise<void> {
  await target.waitFor({ timeout });
  const still = await target.evaluate(async (el) => {
    const finite = el.getAnimations({ subtree: true }).filter((a) => a.effect?.getComputedTiming().iterations !== Infinity);
    await Promise.all(finite.map((a) => a.finished.catch(() => undefined)));
    const box = () => JSON.stringify(el.getBoundingClientRect());
    const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (let i = 0, last = box(); i < 100; i++) {
      await frames();
      const now = box();
      if (now === last) return true;
      last = now;
    }
    return false;
  });
  if (!still) throw new Error(`${target} kept moving for 200 frames`);
}

/** Scrolls `target` into view and waits until it is still there. */
export async function inView(target: Locator): Promise<void> {
  await target.scrollIntoViewIfNeeded();
  await settled(target);
}

// -- the pointer and hovers ---------------------------------------------------------------------------

/** The text of every hover (a tree row's tooltip, an action's title) shown now. */
async function hovers(): Promise<string[]> {
  return page().locator('.workbench-hover').evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => (e as HTMLElement).innerText.trim()));
}

/**
 * Moves the pointer where nothing has a hover (the activity bar's empty stretch) and waits until no hover
 * shows. A hover opens where the pointer rests (a run row's tooltip over the context menu it opened, or over
 * the button the next step clicks): every helper that leaves the pointer on something calls this.
 */
export async function pointerAway(): Promise<void> {
  const spot = await page().locator('.part.activitybar').evaluate((bar) => {
    const r = bar.getBoundingClientRect();
    const items = Array.from(bar.querySelectorAll('.action-item')).map((e) => e.getBoundingClientRect()).filter((b) => b.height > 0).sort((a, b) => a.top - b.top);
    let gap = { top: r.top, bottom: r.top };
    let y = r.top;
    for (const b of [...items, { top: r.bottom, bottom: r.bottom }]) {
      if (b.top - y > gap.bottom - gap.top) gap = { top: y, bottom: b.top };
      y = Math.max(y, b.bottom);
    }
    return { x: r.left + r.width / 2, y: (gap.top + gap.bottom) / 2 };
  });
  await page().mouse.move(spot.x, spot.y);
  await until(async () => (await hovers()).length === 0, 'hovers to close once the pointer left', { seen: hovers });
}

/** Clicks a tree row (or any element a hover can cover), then takes the pointer away from it. */
export async function clickAway(target: Locator, opts: Parameters<Locator['click']>[0] = {}): Promise<void> {
  await pointerAway();
  await target.click(opts);
  await pointerAway();
}

// -- commands, files, views ---------------------------------------------------------------------------

const quickInput = () => page().locator('.quick-input-widget');
const quickRows = () => quickInput().locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent));

/** Opens a workspace file with Quick Open (Ctrl+P), as a user does. */
export async function openFile(name: string): Promise<void> {
  const p = page();
  const input = quickInput().locator('.quick-input-box input');
  const row = quickInput().locator('.monaco-list-row', { hasText: name }).first();
  // A file created just before may not be in Quick Open's file list yet ("No matching results"): ask again.
  for (let attempt = 1; ; attempt++) {
    await p.keyboard.press('Control+P');
    if (await input.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
      await input.fill(name);
      if (await row.waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
    }
    if (attempt === 6) throw new Error(`Quick Open did not open or did not find ${name}; it listed: ${show(await quickRows())}`);
    await p.keyboard.press('Escape');
    // Keyboard focus may sit in a terminal or a webview, which keep Ctrl+P: the status bar takes a click harmlessly.
    await p.locator('.part.statusbar').click({ position: { x: 5, y: 5 } });
  }
  await p.keyboard.press('Enter');
  await waitFor(p.locator('.tabs-container .tab.active', { hasText: name }), `the editor of ${name}`, { seen: tabs });
  // The tab is active before the editor takes keyboard focus; the palette's `when` clauses (editorLangId) are
  // read from the focused element, so a command opened too early would not list the editor's commands.
  // A notebook editor is an overlay outside the group's editor container: focus in it counts.
  const inEditor = () => p.evaluate(() => !!document.activeElement?.closest('.editor-group-container.active .editor-container, .notebookOverlay.notebook-editor'));
  if (!(await until(inEditor, 'keyboard focus in the editor', { timeout: 5_000 }).catch(() => false))) {
    // Something else kept focus (a toast, a webview that just loaded): a click in the editor gives it, as a user would.
    await p.locator('.editor-group-container.active .editor-container').click({ position: { x: 60, y: 10 } });
    await until(inEditor, `keyboard focus in the editor of ${name}`, { seen: focused });
  }
}

/** Where keyboard focus is, for failure messages. */
async function focused(): Promise<string> {
  return page().evaluate(() => {
    const e = document.activeElement as HTMLElement | null;
    const part = e?.closest('.part, .editor-group-container, .quick-input-widget');
    return e ? `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).split(' ').join('.')}` : ''} in ${part ? part.className.split(' ').slice(0, 2).join('.') : 'nothing known'}` : 'nothing';
  });
}

/**
 * Clicks the editor-title action whose label starts with `label`, as a user does. The title toolbar is rebuilt
 * whenever a context key its entries read changes (an extension activating just after the file opened): a click
 * whose press and release straddle a rebuild reaches no button, and the user clicks again. So the click counts
 * only when the button itself received it, attached; otherwise the rebuilt button is clicked.
 */
export async function clickEditorAction(label: string): Promise<void> {
  const selector = `.editor-actions a[aria-label^="${label}"]`;
  const action = page().locator(selector).first();
  const deadline = Date.now() + 30_000;
  for (let attempt = 1; ; attempt++) {
    // Counted in the capture phase, before VS Code's own handler: a click whose target is the button, attached.
    await page().evaluate((sel) => {
      const w = window as unknown as { mlwbActionClicks?: number };
      w.mlwbActionClicks = 0;
      document.addEventListener('click', (e) => {
        if ((e.target as Element | null)?.closest?.(sel)?.isConnected) w.mlwbActionClicks = (w.mlwbActionClicks ?? 0) + 1;
      }, { capture: true, once: true });
    }, selector);
    // locator.click finds the button again if it is replaced while Playwright waits for it to be clickable.
    const error = await action.click({ timeout: Math.max(1_000, deadline - Date.now()) }).then(() => undefined, (e: Error) => e.message.split('\n')[0]);
    if (await page().evaluate(() => ((window as unknown as { mlwbActionClicks?: number }).mlwbActionClicks ?? 0) > 0)) return;
    if (Date.now() > deadline) throw new Error(`the editor action "${label}" never received a click (${attempt} tries in 30 s)${error ? `: ${error}` : ''}; tabs: ${show(await tabs())}`);
  }
}

/** Runs a command from the palette by its title, as a user would. */
export async function runCommand(title: string): Promise<void> {
  const p = page();
  await p.keyboard.press('F1');
  const input = quickInput().locator('.quick-input-box input');
  await waitFor(input, 'the command palette');
  await input.fill(`>${title}`);
  // The row with exactly this title: "Submit to Slurm…" also matches "Submit Sweep to Slurm…", listed first.
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = quickInput().locator('.monaco-list-row').filter({ has: p.locator('.label-name', { hasText: exact }) }).first();
  await waitFor(row, `the command "${title}" in the palette`, { seen: async () => ({ rows: await quickRows(), tabs: await tabs() }) });
  await row.click();
}

export async function openContainer(title = 'MLOps Workbench'): Promise<void> {
  const item = page().locator(`.activitybar .action-item:has(a[aria-label^="${title}"])`);
  // Clicking the icon of the container already shown would close the side bar.
  if (!(await item.evaluate((el) => el.classList.contains('checked')))) await clickAway(item.locator('a'));
  await page().locator('.pane-header', { hasText: 'Runs' }).waitFor();
}

export function paneBody(viewName: string): Locator {
  if (viewName === 'Explorer') return page().locator('.explorer-folders-view');
  return page().locator('.pane', { has: page().locator('.pane-header', { hasText: viewName }) }).locator('.pane-body');
}

/** How a test names a tree row: its text, or `css` added to the row's selector (`[aria-label^="iris v1,"]`) and text filters. */
export type RowFilter = string | RegExp | { css?: string; hasText?: string | RegExp; hasNotText?: string | RegExp };

/** The rows of a view ("Runs", "Models", "Explorer"…) that match `filter`. */
export function treeRow(view: string, filter: RowFilter): Locator {
  const f = typeof filter === 'string' || filter instanceof RegExp ? { hasText: filter } : filter;
  return paneBody(view).locator(`.monaco-list-row${f.css ?? ''}`, { hasText: f.hasText, hasNotText: f.hasNotText });
}

/** Every row a view shows, as a screen reader reads it (what a failed row lookup reports). */
export async function viewRows(view: string): Promise<string[]> {
  return paneBody(view).locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? (r as HTMLElement).innerText));
}

/** Waits for the first row of `view` that matches `filter` (or, with state 'detached', for none); on timeout says what the view shows. */
export async function waitForRow(view: string, filter: RowFilter, opts: { timeout?: number; state?: 'visible' | 'detached' } = {}): Promise<Locator> {
  const row = treeRow(view, filter).first();
  return waitFor(row, `the ${view} view's row ${show(filter)}`, { ...opts, seen: () => viewRows(view) });
}

// -- context menus -------------------------------------------------------------------------------------

const menu = () => page().locator('.context-view .monaco-menu');
const menuView = () => page().locator('.context-view', { has: page().locator('.monaco-menu') });
const menuEntries = () => menu().locator('.action-item').evaluateAll((items) => items.map((i) => (i as HTMLElement).innerText.trim()).filter(Boolean));

/**
 * Right-clicks `row` until its context menu holds `entry` (reopened up to 3 times: the menu is computed when it
 * opens, and a row's context may change just after it is shown), then takes the pointer away from the row (its
 * hover would open over the menu) and waits for the menu's fade-in to end. Returns the entry.
 */
export async function openContextMenu(row: Locator, entry: string | RegExp): Promise<Locator> {
  const item = menu().locator('.action-item', { hasText: entry }).first();
  await pointerAway();
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    let entries: string[] = [];
    if (await item.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
      await pointerAway();
      // A menu closes when something else takes the focus (a panel brought back when a tab closes, a webview
      // that loads): one that closed before its fade-in ended is opened again, as a user would.
      if (await settled(menuView(), 2_000).then(() => true, () => false)) return item;
      entries = ['(the menu closed by itself)'];
    } else {
      entries = await menuEntries().catch(() => []);
      await page().keyboard.press('Escape');
    }
    if (attempt === 3) {
      const name = await row.getAttribute('aria-label', { timeout: 1_000 }).catch(() => String(row));
      throw new Error(`"${entry}" never appeared in the context menu of ${name} (3 tries); it had: ${entries.join(' | ') || 'no menu'}`);
    }
  }
}

/**
 * Right-clicks `row` and chooses `entry` in its context menu, as a user does. `whileOpen` runs with the menu
 * shown (a screenshot). The entry is chosen by pointing at it and pressing Enter: a menu item takes no click in
 * its first 100 ms (so the right-click's own mouse-up chooses nothing), and nothing on screen says when that ends.
 */
export async function contextMenu(row: Locator, entry: string | RegExp, whileOpen?: () => Promise<unknown>): Promise<void> {
  const item = await openContextMenu(row, entry);
  await whileOpen?.();
  const box = (await item.boundingBox())!;
  await page().mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await until(() => item.evaluate((el) => el.classList.contains('focused') || el.contains(document.activeElement)), `"${entry}" to take the focus in the menu`);
  await page().keyboard.press('Enter');
  await waitFor(menu(), 'the context menu', { state: 'hidden', timeout: 10_000, seen: menuEntries });
  await pointerAway();
}

// -- webviews ------------------------------------------------------------------------------------------

/** The document inside the webview panel shown now. */
export function webview(): FrameLocator {
  return page().frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
}

// -- settings ------------------------------------------------------------------------------------------

let settingsVersion = 0;

/**
 * Writes `patch` into the workspace's .vscode/settings.json (a key set to undefined is removed) and waits until
 * the workbench has applied the file: with the patch goes a new `window.title`, and the page's title shows it
 * once VS Code has re-read the file (it hands the extension host the new values in the same step).
 */
export async function applySettings(patch: Record<string, unknown>): Promise<void> {
  const file = join(workspace(), '.vscode/settings.json');
  const marker = `mlwb settings ${++settingsVersion}`;
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...patch, 'window.title': marker }, null, 2));
  await until(async () => (await page().title()).includes(marker), `the workbench to apply ${file}`, { timeout: 30_000, seen: () => page().title() });
}

// -- what a failing test saw -----------------------------------------------------------------------------

async function tabs(): Promise<string> {
  return page().locator('.tabs-container .tab').evaluateAll((ts) => ts.map((t) => `${t.classList.contains('active') ? '*' : ''}${(t as HTMLElement).innerText.trim()}`).join(' | '));
}

/** The runs of the journey's store: name and last status (from the journals, as the extension reads them). */
/**
 * The tails of this window's extension-host logs (VS Code's own and the extension's output channel): what
 * the extension did, or why it did nothing, when a step saw no effect.
 */
function extensionHostLogs(): string {
  const logs: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/exthost\.log$|mlops-workbench/i.test(path) && statSync(path).mtimeMs >= windowOpened) logs.push(path);
    }
  };
  const root = join(session!.server.home, 'u/logs');
  if (existsSync(root)) walk(root);
  // VS Code's own log: only what concerns this extension, and errors.
  const lines = (f: string) => readFileSync(f, 'utf8').trimEnd().split('\n').filter((l) => !/exthost\.log$/.test(f) || /mlops|\[error\]/i.test(l));
  return logs.map((f) => [f.slice(root.length + 1), ...lines(f).slice(-15)].join('\n          ')).join('\n        ');
}

function storeState(): string {
  const runs = join(workspace(), '.mlwb', 'runs');
  if (!existsSync(runs)) return 'no runs';
  return readdirSync(runs).sort().slice(-12).map((id) => {
    try {
      const { name } = JSON.parse(readFileSync(join(runs, id, 'run.json'), 'utf8')) as { name: string };
      const status = readFileSync(join(runs, id, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"t": "status"') || l.includes('"t":"status"')).pop();
      return `${id} ${name} ${status ? (JSON.parse(status) as { status: string }).status : 'no status yet'}`;
    } catch (e) {
      return `${id} (${(e as Error).message})`;
    }
  }).join('\n        ');
}

/** A screenshot and what the workbench shows: printed by journey() when a test fails. */
export async function whatTheWorkbenchShows(name: string): Promise<string> {
  const lines: string[] = [];
  const add = async (label: string, read: () => Promise<unknown> | unknown) => {
    const value = await Promise.race([Promise.resolve().then(read), new Promise((r) => setTimeout(() => r('(no answer in 5 s)'), 5_000))]).catch((e: Error) => `(${e.message.split('\n')[0]})`);
    if (value !== '' && value !== undefined && !(Array.isArray(value) && !value.length)) lines.push(`      ${label}: ${show(value)}`);
  };
  await add('screenshot', () => screenshot(`failed-${name.slice(0, 60).replace(/\W+/g, '-')}`));
  await add('tabs', tabs);
  const texts = (selector: string) => () => page().locator(selector).evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.trim()).filter(Boolean));
  await add('dialog', texts('.monaco-dialog-box'));
  await add('notifications', texts('.notifications-toasts .notification-list-item'));
  await add('quick input', async () => ((await quickInput().isVisible()) ? [await quickInput().locator('.quick-input-title').innerText().catch(() => ''), ...(await quickRows())] : []));
  await add('context menu', () => menu().isVisible().then((v) => (v ? menuEntries() : [])));
  await add('hovers', hovers);
  await add('webview', async () => ((await page().locator('iframe.webview.ready:visible').count()) ? (await webview().locator('body').innerText({ timeout: 2_000 })).slice(0, 1500) : ''));
  await add('store', storeState);
  await add('extension host', extensionHostLogs);
  return `    what the workbench showed (${name}):\n${lines.join('\n')}`;
}
