// Guarantee: a pickle is code — Python loads a model file only from a command the user started, after the
// user agreed to load that file (platform/pickle-trust.ts); no other path starts a model-loading process.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const src = path.resolve(__dirname, '../../../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = new Map(sources(src).map((f) => [path.relative(src, f).split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));
const withText = (re: RegExp) => [...files].filter(([, text]) => re.test(text)).map(([f]) => f).sort();
const CONSENT = /\b(confirmPickleFile|trustPickle)\(/;

describe('faults: a pickle is loaded only from a file the user chose, after asking', () => {
  it('only four modules build a runner command that loads a model file (serve, predict, explain, infer)', () => {
    assert.deepEqual(withText(/'-m', 'mlwb', '(serve|predict|explain|infer)'|'-m',\s*'mlwb',\s*\n\s*'(serve|predict|explain|infer)'/), [
      'explain/explain-process.ts', 'modelspec/infer.ts', 'serving/predict-job.ts', 'serving/serve-process.ts',
    ]);
  });

  it('each of them is started only from a command that asks first', () => {
    // Who starts each launcher, and (for the server manager, one step removed) who starts that.
    const starters: Record<string, RegExp> = {
      launchExplain: /\blaunchExplain\(/,
      inferOnce: /\binferOnce\(/,
      'PredictJob.start': /\bPredictJob\.start\(/,
      'ServeProcess.start': /\bServeProcess\.start\(/,
      'ServerManager.serve': /\bservers\.serve\(/,
    };
    const callers = Object.fromEntries(
      Object.entries(starters).map(([name, re]) => [name, withText(re).filter((f) => !new RegExp(`export (async )?function ${name}\\b`).test(files.get(f)!))]),
    );
    assert.deepEqual(callers, {
      launchExplain: ['explain/explain-commands.ts'],
      inferOnce: ['modelspec/architecture-panel.ts'],
      'PredictJob.start': ['serving/predict-commands.ts'],
      'ServeProcess.start': ['serving/server-manager.ts'],
      'ServerManager.serve': ['serving/serving-commands.ts'],
    });
    for (const f of ['explain/explain-commands.ts', 'modelspec/architecture-panel.ts', 'serving/predict-commands.ts', 'serving/serving-commands.ts']) {
      assert.match(files.get(f)!, CONSENT, `${f} starts a model load without asking`);
    }
  });

  it('every question is bound to the file\'s sha256, and that hash is passed on to Python', () => {
    const unbound = [...files].filter(([f, text]) => f !== 'platform/pickle-trust.ts' && /\bconfirmPickleLoad\(/.test(text)).map(([f]) => f);
    for (const f of unbound) assert.match(files.get(f)!, /confirmPickleLoad\([^)]*sha256/, `${f} asks without a sha256`);
    assert.match(files.get('serving/server-manager.ts')!, /sha256: agreedSha256\(v\)/);
    assert.match(files.get('serving/predict-commands.ts')!, /sha256: agreedSha256\(v\)/);
    assert.match(files.get('explain/explain-commands.ts')!, /sha256: agreed/);
    assert.match(files.get('modelspec/architecture-panel.ts')!, /inferOnce\([^)]*sha256\)/);
  });

  it('the question names the file and says a pickle runs code, and an answer is remembered per file and content', () => {
    const trust = files.get('platform/pickle-trust.ts')!;
    assert.match(trust, /modal: true/);
    assert.match(trust, /Loading a pickle runs code/);
    assert.match(trust, /\$\{load\.file\}#\$\{load\.sha256/);
  });
});
