import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardData } from '../../../src/runs/dashboard/dashboard-data';
import { figureImage, figureRefs, MAX_FIGURE_BYTES, parseReport, readReport } from '../../../src/runs/dashboard/run-media';
import { openStore, removeTempStores, RunWriter, tempStore } from '../store/helpers';

// One table of cases for the report files, shared with the Python side (python-runner/tests/test_capture_sklearn.py).
const CASES = JSON.parse(readFileSync(join(__dirname, '../../../../python-runner/tests/data/capture/report-cases.json'), 'utf8')) as {
  valid: { name: string; file: unknown; parsed: unknown }[];
  invalid: { name: string; text: string; error: string }[];
};
const PATH = 'reports/test/classification_report.json';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe('the run dashboard’s figures and reports (run files read by the host)', () => {
  after(removeTempStores);

  for (const c of CASES.valid) {
    it(`shows ${c.name}`, () => assert.deepEqual(parseReport(PATH, JSON.stringify(c.file)), c.parsed));
  }
  for (const c of CASES.invalid) {
    it(`says what is wrong with ${c.name}`, () => {
      const r = parseReport(PATH, c.text);
      assert.equal(r.kind, 'invalid');
      assert.ok(r.kind === 'invalid' && r.error.includes(c.error), `${JSON.stringify(r)} should say ${c.error}`);
    });
  }

  it('lists a run’s images oldest first with their titles, and reads them as data URLs', async () => {
    const root = tempStore();
    const w = new RunWriter(root, { id: 'fig-run' }).events(
      { t: 'file', op: 'save', id: 'b', path: 'figures/roc.png', size: PNG.length, sha256: 'x1', ts: 20, tags: ['figure'], meta: { title: 'ROC curve' } },
      { t: 'file', op: 'save', id: 'a', path: 'plots/loss.jpg', size: 5, ts: 10 },
      { t: 'file', op: 'save', id: 'c', path: 'autolog/SVC.pkl', size: 5, ts: 5 },
      { t: 'file', op: 'save', id: 'd', path: 'reports/test/confusion_matrix.json', size: 5, ts: 30, tags: ['report', 'confusion_matrix'] },
    );
    w.finish();
    const dir = join(root, 'runs', 'fig-run', 'files', 'figures');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'roc.png'), PNG);
    const store = await openStore(root);
    try {
      const run = store.getRun('fig-run')!;
      const refs = figureRefs(run.files);
      assert.deepEqual(refs.map((f) => [f.path, f.title]), [['plots/loss.jpg', undefined], ['figures/roc.png', 'ROC curve']]);
      assert.deepEqual(dashboardData(run).figures, refs);
      const image = figureImage(refs[1], () => join(dir, 'roc.png'));
      assert.equal(image.dataUrl, `data:image/png;base64,${PNG.toString('base64')}`);
      assert.match(figureImage(refs[0], () => join(dir, 'missing.jpg')).error ?? '', /could not read it: ENOENT/);
      assert.match(figureImage(refs[0], () => { throw new Error('outside the run'); }).error ?? '', /outside the run/);
    } finally {
      await store.close();
    }
  });

  it('does not inline an image over the size limit', () => {
    const dir = tempStore();
    mkdirSync(dir, { recursive: true });
    const big = join(dir, 'big.png');
    writeFileSync(big, Buffer.alloc(MAX_FIGURE_BYTES + 1));
    const image = figureImage({ path: 'figures/big.png', version: 'v' }, () => big);
    assert.equal(image.dataUrl, undefined);
    assert.match(image.error ?? '', /too large to show here \(8\.0 MB\)/);
  });

  it('reads a report file from disk, and says so when it cannot', () => {
    const dir = tempStore();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cm.json'), JSON.stringify(CASES.valid[2].file));
    assert.equal(readReport('reports/test/confusion_matrix.json', () => join(dir, 'cm.json')).kind, 'confusion_matrix');
    const missing = readReport('reports/x.json', () => join(dir, 'nope.json'));
    assert.ok(missing.kind === 'invalid' && /could not read it/.test(missing.error));
  });
});
