// The fresh-workspace journey: the views' welcome texts before anything wrote a run.
import * as assert from 'node:assert/strict';
import { journey, openContainer, page, paneBody, runCommand, screenshot, webview } from './workbench';

journey('foundation journeys in the real workbench', () => {
  it('opens the MLOps Workbench container and shows the three views with their welcome text', async () => {
    await openContainer();
    for (const name of ['Experiments', 'Runs', 'Models']) {
      await page().locator('.pane-header', { hasText: name }).waitFor();
    }
    await paneBody('Runs').getByText('No runs yet.').waitFor();
    await paneBody('Experiments').getByText('No experiments yet.').waitFor();
    await screenshot('foundation-container');
  });

  it('runs a command from the palette and reads the webview it opens', async () => {
    await runCommand('MLOps Workbench: Show Overview');
    const frame = webview();
    await frame.getByRole('heading', { name: 'MLOps Workbench' }).waitFor({ timeout: 30_000 });
    const runs = await frame.getByTestId('count-runs').textContent();
    assert.match(runs ?? '', /^\d+$/);
    // The chart is really drawn: the canvas has a size and non-transparent pixels.
    const drawn = await frame.locator('canvas').evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
      return { width: c.width, height: c.height, painted };
    });
    assert.ok(drawn.width > 100 && drawn.height > 100, `canvas sized ${drawn.width}x${drawn.height}`);
    assert.ok(drawn.painted > 100, `chart painted ${drawn.painted} pixels`);
    await screenshot('foundation-overview');
  });
});
