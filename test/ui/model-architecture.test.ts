import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clickEditorAction, journey, openFile, page, screenshot, webview, workspace } from './workbench';

const SPEC = 'digits-cnn.mlwb-model.json';

journey('model spec: the Model Architecture panel, as a user sees it', () => {
  it('opens from the editor title, shows every layer with its output shape and parameters, trains and predicts a digit', async function () {
    this.timeout(180_000);
    const example = readFileSync(resolve(__dirname, '../../../python-runner/examples/specs', SPEC), 'utf8');
    writeFileSync(join(workspace(), SPEC), example);
    await openFile(SPEC);
    await page().locator('.editor-actions a[aria-label^="Run Current Training File"]').waitFor();
    await clickEditorAction('Show Model Architecture');

    const view = webview();
    const rows = view.locator('[data-testid="layer-row"]');
    await rows.first().waitFor({ timeout: 30_000 });
    assert.equal(await rows.count(), 12);
    assert.equal(await view.locator('[data-testid="total-params"]').textContent(), '13,706');
    assert.equal(await view.locator('[data-testid="input-shape"]').textContent(), '1×8×8');
    assert.deepEqual(
      (await rows.locator('td.shape').allTextContents()).slice(0, 7),
      ['16×8×8', '16×8×8', '16×4×4', '32×4×4', '32×4×4', '32×2×2', '128'],
    );
    await screenshot('model-architecture');

    // Train from the panel, then try a sample digit against the trained weights.
    await view.getByRole('button', { name: 'Train this spec (Run Current Training File)' }).click();
    await view.locator('text=eval accuracy of').waitFor({ timeout: 90_000 });
    await view.getByRole('button', { name: 'Sample digit 0' }).click();
    // The weights are a torch checkpoint (a pickle): the first load asks, naming the run.
    const dialog = page().locator('.monaco-dialog-box', { hasText: 'Loading a pickle runs code' });
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /the weights of run/);
    await screenshot('model-architecture-pickle-warning');
    await dialog.getByRole('button', { name: 'Load' }).click();
    await view.locator('[data-testid="predicted-label"]').waitFor({ timeout: 60_000 });
    assert.equal(await view.locator('[data-testid="predicted-label"]').textContent(), '0');
    await screenshot('model-architecture-predict');
  });
});
