import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextMenu, inView, journey, page, runCommand, screenshot, settled, waitFor, waitForRow, webview, workspace } from './workbench';

const ROWS = 50_000;

/** A CSV with every kind of column the profiler tells apart, and a few problems for its warnings. */
function writeCsv(file: string): void {
  const cities = ['Paris', '"Lyon, FR"', 'Zürich', 'Oslo', '"New ""York"""'];
  const lines = ['id,age,income,score,city,member,signup,constant,notes'];
  let seed = 3;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < ROWS; i++) {
    const age = Math.round(18 + rand() * 60);
    const income = (20000 + age * 800 + (rand() - 0.5) * 30000).toFixed(2);
    const score = rand() < 0.35 ? '' : (rand() * 100).toFixed(1);
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(`row-${i},${age},${income},${score},${cities[i % cities.length]},${rand() < 0.3 ? 'true' : 'false'},2024-02-${day},same,${i % 1000 === 0 ? 'n/a' : i % 97 === 0 ? 42 : 'ok'}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

journey('dataset profile in the real workbench', () => {
  it('profiles a CSV from the explorer’s context menu, then scrolls its virtualized rows table', async () => {
    writeCsv(join(workspace(), 'customers.csv'));
    await runCommand('View: Show Explorer');
    // the file watcher may not have seen the new file yet: the explorer's own Refresh
    await page().locator('.explorer-folders-view').hover();
    await page().locator('.pane-header a.action-label[aria-label^="Refresh Explorer"]').click({ force: true });
    await contextMenu(await waitForRow('Explorer', 'customers.csv'), 'Profile Dataset');

    const rows = webview().locator('[data-testid="summary-rows"]');
    await rows.waitFor({ timeout: 60_000 });
    assert.equal(await rows.textContent(), ROWS.toLocaleString('en-US'));
    assert.equal(await webview().locator('[data-testid="column-card"]').count(), 9);
    const warnings = await webview().locator('[data-testid="warnings"] li').allTextContents();
    for (const part of ['"constant" has a single value', '"score" is missing in', '"notes" mixes types', '"id" has a different value in']) {
      assert.ok(warnings.some((w) => w.includes(part)), `${part} in ${JSON.stringify(warnings)}`);
    }
    assert.ok((await webview().locator('[data-testid="histogram-canvas"]').count()) >= 3, 'numeric columns have histograms');

    // Only the visible rows are in the DOM; scrolling far down asks the host for that page.
    const viewport = webview().locator('[data-testid="rows-viewport"]');
    await webview().locator('tr[data-row="0"] td', { hasText: 'row-0' }).waitFor();
    const rendered = await viewport.locator('tbody tr').count();
    assert.ok(rendered > 5 && rendered < 40, `${rendered} rows rendered of ${ROWS}`);
    // Scrolls to a fraction of the table and waits for the rows there: the table says which row is first
    // once it has handled the scroll, then that page of rows arrives from the host.
    const scrollTo = async (fraction: number, expected?: (first: number) => number): Promise<number> => {
      const before = await viewport.getAttribute('data-first-row');
      const top = await viewport.evaluate((el, f) => (el.scrollTop = Math.max(0, el.scrollHeight * f - (f >= 1 ? 0 : 1))), fraction);
      if (top > 0) {
        const moved = webview().locator(`[data-testid="rows-viewport"]:not([data-first-row="${before}"])`);
        await waitFor(moved, `the table to follow the scroll to ${fraction * 100}%`, { timeout: 15_000, seen: () => viewport.getAttribute('data-first-row') });
      }
      const first = Number(await viewport.getAttribute('data-first-row'));
      const row = expected ? expected(first) : first;
      await waitFor(webview().locator(`tr[data-row="${row}"] td`, { hasText: `row-${row}` }), `row ${row} after scrolling to ${fraction * 100}%`, {
        timeout: 30_000,
        seen: () => viewport.locator('tbody tr').evaluateAll((trs) => trs.slice(0, 3).map((tr) => `${tr.getAttribute('data-row')}: ${tr.textContent?.slice(0, 40)}`)),
      });
      return first;
    };
    const first = await scrollTo(0.75);
    assert.ok(first > ROWS * 0.6 && first < ROWS * 0.9, `first visible row ${first}`);
    await scrollTo(1, () => ROWS - 1);
    await scrollTo(0.5);
    await settled(viewport);
    await screenshot('dataset-profile');
    await inView(webview().locator('[data-testid="column-card"]').nth(3));
    await screenshot('dataset-profile-columns');
  });
});
