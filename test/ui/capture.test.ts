import * as assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clickEditorAction, journey, openContainer, openFile, page, screenshot, webview, workspace } from './workbench';

const repo = resolve(__dirname, '../../..');
const SCRIPT = 'plot_digits_classification.py';

journey('an unmodified scikit-learn gallery script, run as a user does: its metrics, figures and reports', () => {
  before(() => {
    copyFileSync(join(repo, 'python-runner/tests/data/capture', SCRIPT), join(workspace(), SCRIPT));
  });

  after(async () => {
    await page().setViewportSize({ width: 1400, height: 900 });
  });

  it('runs it with the editor’s Run button, opens the run from the notification, and sees the figures and reports', async () => {
    await openFile(SCRIPT);
    await clickEditorAction('Run Current Training File');
    const toast = page().locator('.notifications-toasts .notification-list-item', { hasText: /plot_digits_classification-\S+ completed in/ }).first();
    await toast.waitFor({ timeout: 90_000 });
    await toast.getByRole('button', { name: 'Open Run' }).click();

    const frame = webview();
    await frame.getByTestId('run-name').filter({ hasText: 'plot_digits_classification' }).waitFor({ timeout: 30_000 });
    // The held-out accuracy the script printed is a metric, charted in its own "test" group.
    await frame.locator('figure[data-key="test/accuracy_score"] canvas').waitFor();
    assert.ok((await frame.locator('section.metrics h3').allInnerTexts()).includes('test'));

    // Figures: the three the script drew, as thumbnails with their titles.
    const thumbs = frame.locator('[data-testid="run-figures"] button.thumb');
    await frame.locator('[data-testid="run-figures"] img').nth(2).waitFor({ timeout: 30_000 });
    assert.equal(await thumbs.count(), 3);
    assert.deepEqual((await frame.locator('[data-testid="run-figures"] .caption').allInnerTexts()).sort(), ['Confusion Matrix', 'Prediction: 8', 'Training: 0']);
    const painted = await frame.locator('[data-testid="run-figures"] img').first().evaluate((img: HTMLImageElement) => img.naturalWidth * img.naturalHeight);
    assert.ok(painted > 10_000, 'the image decoded');

    // Reports: the classification report's table and the confusion matrix, 899 test digits in all.
    const reports = frame.getByTestId('run-reports');
    await reports.locator('article[data-kind="classification_report"] tbody tr').first().waitFor();
    assert.equal(await reports.locator('article[data-kind="classification_report"] tbody tr').count(), 12, '10 classes, macro and weighted averages');
    const cells = await reports.locator('article[data-kind="confusion_matrix"] tbody td').allInnerTexts();
    assert.equal(cells.length, 100);
    assert.equal(cells.reduce((sum, c) => sum + Number(c), 0), 899);

    // One screenshot with the metrics and the figures: a tall window.
    await page().setViewportSize({ width: 1400, height: 1900 });
    await frame.locator('section.metrics h3', { hasText: /^test$/ }).evaluate((h) => h.scrollIntoView({ block: 'start' }));
    assert.ok(await frame.locator('section.figures').isVisible());
    await screenshot('capture-dashboard-metrics-figures');
    await frame.locator('section.reports').scrollIntoViewIfNeeded();
    await screenshot('capture-dashboard-reports');
    await page().setViewportSize({ width: 1400, height: 900 });

    // Click to enlarge; the arrows go through the figures; Escape closes and gives the focus back.
    await thumbs.first().click();
    const viewer = frame.getByTestId('figure-viewer');
    await viewer.locator('img.large').waitFor();
    const title = async () => (await viewer.locator('h3').innerText()).replace(/\s+\d+ of \d+$/, '');
    const first = await title();
    await screenshot('capture-figure-viewer');
    await page().keyboard.press('ArrowRight');
    await viewer.locator('h3', { hasText: '2 of 3' }).waitFor();
    assert.notEqual(await title(), first);
    await page().keyboard.press('Escape');
    await viewer.locator('img.large').waitFor({ state: 'detached' });
    assert.equal(await thumbs.first().evaluate((el) => el === document.activeElement), true, 'focus is back on the thumbnail');

    // The keyboard alone: Tab to a thumbnail, Enter enlarges it.
    await thumbs.nth(1).focus();
    await page().keyboard.press('Enter');
    await viewer.locator('h3', { hasText: '2 of 3' }).waitFor();
    await viewer.locator('vscode-button[aria-label="Close the figure"]').click();
    await viewer.locator('img.large').waitFor({ state: 'detached' });
    await openContainer();
  });
});
