import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectModelFile } from '../../../src/store/model-format';
import { fakePickle, onnxInput, onnxModel, python, safetensors, writeFile } from './registry-helpers';

describe('model format detection', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-formats-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const at = (name: string) => path.join(dir, name);

  it('recognises formats by magic bytes and extension', async () => {
    const cases: [string, Buffer | string, string][] = [
      ['model.pkl', Buffer.from([0x80, 0x05, 0x95, 0x2e]), 'pickle'],
      ['model.bin', Buffer.from([0x80, 0x02, 0x7d, 0x2e]), 'pickle'],
      ['old.pkl', '(dp0\n.', 'pickle'],
      ['model.joblib', Buffer.from([0x80, 0x04, 0x95, 0x2e]), 'joblib'],
      ['zlib.joblib', Buffer.from([0x78, 0x9c, 0x01, 0x02]), 'joblib'],
      ['gz.pkl', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), 'joblib'],
      ['legacy.pt', Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]), 'torch'],
      ['state.pth', Buffer.from([0x80, 0x02, 0x7d, 0x2e]), 'torch'],
      ['w.safetensors', safetensors(), 'safetensors'],
      ['m.onnx', onnxModel([onnxInput('float_input', ['N', 4])]), 'onnx'],
      ['m.json', JSON.stringify({ learner: { feature_names: [] }, version: [1, 7, 4] }), 'xgboost-json'],
      ['other.json', JSON.stringify({ hello: 1 }), 'unknown'],
      ['m.ubj', Buffer.concat([Buffer.from('{L'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 7]), Buffer.from('learner{}}')]), 'xgboost-ubj'],
      ['notes.txt', 'just text', 'unknown'],
      ['empty.pkl', '', 'unknown'],
      ['fake.onnx', 'not protobuf', 'unknown'],
    ];
    for (const [name, data, format] of cases) {
      assert.equal((await inspectModelFile(writeFile(at(name), data))).format, format, name);
    }
  });

  it('reads XGBoost JSON feature names and count', async () => {
    const doc = { learner: { feature_names: ['a', 'b', 'c'], learner_model_param: { num_feature: '3' } }, version: [2, 0, 0] };
    assert.deepEqual(await inspectModelFile(writeFile(at('x.json'), JSON.stringify(doc))), { format: 'xgboost-json', featureNames: ['a', 'b', 'c'], nFeatures: 3 });
    const unnamed = { learner: { feature_names: [], learner_model_param: { num_feature: '7' } } };
    assert.deepEqual(await inspectModelFile(writeFile(at('y.json'), JSON.stringify(unnamed))), { format: 'xgboost-json', nFeatures: 7 });
  });

  it('reads ONNX inputs: one tensor input gives the feature count, one input per feature gives names; initializers are not inputs', async () => {
    assert.deepEqual(await inspectModelFile(writeFile(at('one.onnx'), onnxModel([onnxInput('float_input', ['N', 4])]))), { format: 'onnx', nFeatures: 4 });
    const perFeature = onnxModel([onnxInput('sepal_length', ['N', 1]), onnxInput('petal_width', ['N', 1]), onnxInput('W', [2])], [{ name: 'W', bytes: 64 * 1024 }]);
    assert.deepEqual(await inspectModelFile(writeFile(at('many.onnx'), perFeature)), { format: 'onnx', featureNames: ['sepal_length', 'petal_width'], nFeatures: 2 });
    const truncated = perFeature.subarray(0, perFeature.length - 20);
    assert.deepEqual(await inspectModelFile(writeFile(at('cut.onnx'), truncated)), { format: 'onnx' });
  });

  it('recognises a real pickle written by Python', async function () {
    const file = at('real.pkl');
    if (python("import pickle,sys; pickle.dump({'a':1}, open(sys.argv[1],'wb'))", file) === undefined) this.skip();
    assert.equal((await inspectModelFile(file)).format, 'pickle');
    fakePickle(at('fake.pkl'));
    assert.equal((await inspectModelFile(at('fake.pkl'))).format, 'pickle');
  });

  it('recognises real XGBoost JSON and UBJ models with their feature names', async function () {
    const json = at('xgb.json');
    const ubj = at('xgb.ubj');
    const code = `
import sys, numpy as np, xgboost as xgb
rng = np.random.default_rng(0)
X = rng.random((40, 3)); y = (X[:, 0] > 0.5).astype(int)
d = xgb.DMatrix(X, label=y, feature_names=['sepal_length', 'petal_width', 'colour'])
b = xgb.train({'objective': 'binary:logistic', 'max_depth': 2}, d, 2)
b.save_model(sys.argv[1]); b.save_model(sys.argv[2])`;
    if (python(code, json, ubj) === undefined) this.skip();
    assert.deepEqual(await inspectModelFile(json), { format: 'xgboost-json', featureNames: ['sepal_length', 'petal_width', 'colour'], nFeatures: 3 });
    assert.equal((await inspectModelFile(ubj)).format, 'xgboost-ubj');
  });

  it('recognises real torch.save and joblib files', async function () {
    const pt = at('weights.pt');
    const legacy = at('legacy.pt');
    if (python('import sys, torch; torch.save({"w": torch.zeros(3)}, sys.argv[1]); torch.save({"w": torch.zeros(3)}, sys.argv[2], _use_new_zipfile_serialization=False)', pt, legacy) === undefined) {
      this.skip();
    }
    assert.equal((await inspectModelFile(pt)).format, 'torch');
    assert.equal((await inspectModelFile(legacy)).format, 'torch');
    // Renamed: still a torch zip by its content.
    fs.copyFileSync(pt, at('weights.bin'));
    assert.equal((await inspectModelFile(at('weights.bin'))).format, 'torch');
    const jl = at('m.joblib');
    const jlz = at('mz.joblib');
    if (python('import sys, joblib; joblib.dump({"a": 1}, sys.argv[1]); joblib.dump({"a": list(range(100))}, sys.argv[2], compress=3)', jl, jlz) === undefined) this.skip();
    assert.equal((await inspectModelFile(jl)).format, 'joblib');
    assert.equal((await inspectModelFile(jlz)).format, 'joblib');
  });
});
