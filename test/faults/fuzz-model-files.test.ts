// Guarantee: a pickle is code: registering a model file detects its format from its bytes only (no Python, nothing loaded), so random, truncated or malicious model files are registered or refused without running anything.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectModelFile } from '../../src/store/model-format';
import { TrackingStore } from '../../src/store/tracking-store';
import { fuzzSeed, Prng } from './fuzz-helpers';

const repo = path.resolve(__dirname, '../../..');
const WASM = require.resolve('sql.js/dist/sql-wasm.wasm');
const FORMATS = ['pickle', 'joblib', 'torch', 'onnx', 'xgboost-json', 'xgboost-ubj', 'safetensors', 'unknown'];

/** Real model files of each format, written by the real libraries (Debian's python3-sklearn/torch/xgboost). */
function realModels(dir: string, marker: string): Record<string, string> {
  const code = `
import pickle, sys, os, joblib, torch, xgboost as xgb, numpy as np
from sklearn.tree import DecisionTreeClassifier
d, marker = sys.argv[1], sys.argv[2]
X = np.random.RandomState(0).rand(50, 4); y = (X[:, 0] > 0.5).astype(int)
m = DecisionTreeClassifier(max_depth=3).fit(X, y)
pickle.dump(m, open(os.path.join(d, 'm.pkl'), 'wb'))
joblib.dump(m, os.path.join(d, 'm.joblib'), compress=3)
torch.save({'w': torch.zeros(3)}, os.path.join(d, 'm.pt'))
b = xgb.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)
b.save_model(os.path.join(d, 'm.json')); b.save_model(os.path.join(d, 'm.ubj'))
class Evil:
    def __reduce__(self):
        return (open, (marker, 'w'))
pickle.dump(Evil(), open(os.path.join(d, 'evil.pkl'), 'wb'))
`;
  execFileSync('/usr/bin/python3', ['-c', code, dir, marker], { stdio: 'pipe', timeout: 60_000 });
  return Object.fromEntries(['m.pkl', 'm.joblib', 'm.pt', 'm.json', 'm.ubj', 'evil.pkl'].map((f) => [f, path.join(dir, f)]));
}

describe('fuzz: model files in the registry', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-fuzz-models-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('format detection reads bytes only: no child process, no Python, in src/store', () => {
    for (const f of fs.readdirSync(path.join(repo, 'src/store'), { recursive: true }) as string[]) {
      if (!f.endsWith('.ts')) continue;
      const text = fs.readFileSync(path.join(repo, 'src/store', f), 'utf8');
      assert.doesNotMatch(text, /child_process|\bspawn\(|\bexecFile\(/, `src/store/${f} starts processes`);
    }
  });

  it('random, truncated and bit-flipped model files: a format or "unknown", never an exception; a malicious pickle is registered without running', async () => {
    const seed = fuzzSeed(7007);
    const r = new Prng(seed);
    const marker = path.join(dir, 'pwned');
    const real = realModels(dir, marker);
    assert.ok(!fs.existsSync(marker), 'writing the evil pickle ran nothing');
    let inputs = 0;
    const exts = ['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.onnx', '.json', '.ubj', '.safetensors', '.bin', ''];
    const check = async (file: string) => {
      const info = await inspectModelFile(file);
      assert.ok(FORMATS.includes(info.format), `${file}: ${JSON.stringify(info)}`);
      if (info.nFeatures !== undefined) assert.ok(Number.isInteger(info.nFeatures) && info.nFeatures >= 0, JSON.stringify(info));
      if (info.featureNames !== undefined) assert.ok(info.featureNames.every((n) => typeof n === 'string'));
      inputs++;
    };
    for (let i = 0; i < 300; i++) {
      const file = path.join(dir, `rand${i}${r.pick(exts)}`);
      fs.writeFileSync(file, r.bytes(r.int(5000)));
      await check(file);
    }
    // Magic bytes followed by garbage: the sniffers that parse headers (safetensors, ONNX, XGBoost) must not trip.
    const prefixes = [Buffer.from([0x80, 0x04]), Buffer.from('PK\x03\x04'), Buffer.from('{"learner":'), Buffer.from('{'), Buffer.from([0x08, 0x07]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7b]), Buffer.from([0x10, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{L'), Buffer.from([0x1f, 0x8b])];
    for (let i = 0; i < 300; i++) {
      const file = path.join(dir, `magic${i}${r.pick(exts)}`);
      fs.writeFileSync(file, Buffer.concat([r.pick(prefixes), r.bytes(r.int(3000))]));
      await check(file);
    }
    for (const [name, file] of Object.entries(real)) {
      const bytes = fs.readFileSync(file);
      for (let i = 0; i < 40; i++) {
        const cut = Buffer.from(bytes.subarray(0, r.int(bytes.length)));
        if (i % 2 === 1 && cut.length > 0) cut[r.int(cut.length)] ^= 1 << r.int(8);
        const f = path.join(dir, `cut${i}-${name}`);
        fs.writeFileSync(f, cut);
        await check(f);
      }
    }

    // Registering the malicious pickle copies and inspects it: it is a pickle, and nothing ran.
    const store = await TrackingStore.open(path.join(dir, '.mlwb'), { wasmPath: WASM, saveDelayMs: 60_000 });
    try {
      const v = await store.registerVersion('evil', { sourceFile: real['evil.pkl'] });
      assert.equal(store.getVersion('evil', v.version)?.format, 'pickle');
      assert.ok(!fs.existsSync(marker), 'registering a pickle did not load it');
      inputs++;
    } finally {
      await store.close();
    }
    console.log(`fuzz: model files (registry detection): seed ${seed}, ${inputs} inputs, 0 crashes, the malicious pickle never ran`);
  });
});
