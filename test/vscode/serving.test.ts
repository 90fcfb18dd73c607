import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { WorkbenchApi } from '../../src/extension';
import type { ModelNode, VersionNode } from '../../src/registry/model-nodes';
import type { ServeResult } from '../../src/serving/serving-commands';
import type { PredictOutcome } from '../../src/serving/predict-commands';
import type { ServedVersion } from '../../src/serving/server-manager';
import { httpRequest } from '../../src/serving/http-client';
import { api, waitFor, workspaceDir } from './helpers';

// Serving and batch prediction through the extension's commands, against a real store of its own and
// RandomForests trained and pickled by Debian's Python here. The HTTP protocol itself (every format,
// every error status, a bounded loopback load test with zero errors) is covered by
// python-runner/tests/test_serve.py; here: a few of each through the server the extension started.
const STORE = '.mlwb-serving';
const PY = process.env.MLWB_PYTHON ?? '/usr/bin/python3';
const MODEL = 'iris-serve';
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]];
const run = promisify(execFile);

const TRAIN = `
import json, pickle, sys
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
d = load_iris(as_frame=True)
X = d.data
X.columns = ${JSON.stringify(FEATURES)}
m = RandomForestClassifier(n_estimators=int(sys.argv[2]), random_state=int(sys.argv[3])).fit(X, d.target)
pickle.dump(m, open(sys.argv[1], 'wb'))
print(json.dumps(m.predict(pd.DataFrame(${JSON.stringify(ROWS)}, columns=X.columns)).tolist()))
`;
/** A CSV of n rows (an id column and the features, shuffled order) and model.predict of it, computed in Python. */
const DATA = `
import numpy as np, pandas as pd, pickle, sys
rng = np.random.default_rng(0)
n = int(sys.argv[3])
X = pd.DataFrame(rng.uniform([4, 2, 1, 0], [8, 4.5, 7, 2.5], size=(n, 4)).round(2), columns=${JSON.stringify(FEATURES)})
frame = X[["petal_width", "sepal_length", "petal_length", "sepal_width"]].copy()
frame.insert(0, "id", range(n))
frame.to_csv(sys.argv[2], index=False)
m = pickle.load(open(sys.argv[1], "rb"))
pd.DataFrame({"prediction": m.predict(X)}).to_csv(sys.argv[4], index=False)
`;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

const post = (url: string, body: string, type = 'application/json') => httpRequest(`${url}/invocations`, { method: 'POST', body, headers: { 'Content-Type': type } });
const lines = (file: string) => readFileSync(file, 'utf8').trim().split(/\r?\n/);

describe('serving: Serve, Stop, death, the serving panel and Predict on File, through the commands', function () {
  this.timeout(180_000);
  let wb: WorkbenchApi;
  let dir: string;
  let expected: number[];
  const servers = () => wb.serving.servers;
  const versionNode = async (n: number) => {
    const tree = wb.views.models.tree;
    const model = (await tree.getChildren()).find((m): m is ModelNode => m.kind === 'model' && m.model.name === MODEL);
    const node = model && ((await tree.getChildren(model)) as VersionNode[]).find((v) => v.version.version === n);
    return node && { node, item: tree.getTreeItem(node) };
  };

  before(async () => {
    wb = await api();
    await vscode.workspace.getConfiguration('mlwb').update('storePath', STORE, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => (await wb.store.get()).layout.root === join(workspaceDir(), STORE), 'the store to move');
    dir = join(workspaceDir(), 'serving');
    mkdirSync(dir, { recursive: true });
    const a = await run(PY, ['-c', TRAIN, join(dir, 'rf-a.pkl'), '12', '1']);
    await run(PY, ['-c', TRAIN, join(dir, 'rf-b.pkl'), '5', '2']);
    expected = JSON.parse(a.stdout);
    for (const file of ['rf-a.pkl', 'rf-b.pkl']) {
      await wb.store.edit((s) => s.registerVersion(MODEL, { sourceFile: join(dir, file) }), { models: [MODEL] });
    }
    await vscode.commands.executeCommand('workbench.view.extension.mlwb');
  });

  after(async () => {
    await servers().stopAll();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('mlwb').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  let url = '';
  let port = 0;

  it('serves a version from its node: the server answers /ping and /invocations as the model predicts', async () => {
    const { node } = (await versionNode(1))!;
    const served = await vscode.commands.executeCommand<ServeResult>('mlwb.serveVersion', node, { confirm: false });
    assert.ok(served, 'Serve returned the server');
    ({ url, port } = served);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(served.tokenRequired, false, 'loopback: no token');
    assert.equal(servers().isServing(MODEL, 1), true);
    assert.equal((await httpRequest(`${url}/ping`)).status, 200);

    const split = await post(url, JSON.stringify({ dataframe_split: { columns: FEATURES, data: ROWS } }));
    assert.equal(split.status, 200, split.body);
    assert.deepEqual(JSON.parse(split.body).predictions, expected);
    // Columns in another order are put in the model's order.
    const shuffled = await post(url, JSON.stringify({ dataframe_split: { columns: [...FEATURES].reverse(), data: ROWS.map((r) => [...r].reverse()) } }));
    assert.deepEqual(JSON.parse(shuffled.body).predictions, expected);
    const csv = await post(url, `${FEATURES.join(',')}\n${ROWS.map((r) => r.join(',')).join('\n')}\n`, 'text/csv');
    assert.equal(csv.status, 200, csv.body);
    assert.deepEqual(JSON.parse(csv.body).predictions, expected);
    const records = await post(url, JSON.stringify({ dataframe_records: ROWS.map((r) => Object.fromEntries(FEATURES.map((f, i) => [f, r[i]]))) }));
    assert.deepEqual(JSON.parse(records.body).predictions, expected);
    const proba = await httpRequest(`${url}/invocations?proba=1`, { method: 'POST', body: JSON.stringify({ instances: ROWS }), headers: { 'Content-Type': 'application/json' } });
    const p = JSON.parse(proba.body).predictions as number[][];
    assert.equal(p.length, 3);
    assert.ok(p.every((row) => row.length === 3 && Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-9));
  });

  it('Copy URL copies the address as reachable from the user\'s side (VS Code\'s forwarded URI), and it answers', async () => {
    const copied = await vscode.commands.executeCommand<string>('mlwb.copyServingUrl', { model: MODEL, version: 1 });
    assert.equal(await vscode.env.clipboard.readText(), copied);
    assert.match(copied, /\/invocations$/);
    const external = (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true).replace(/\/+$/, '');
    assert.equal(copied, `${external}/invocations`);
    const res = await httpRequest(copied, { method: 'POST', body: JSON.stringify({ instances: ROWS }), headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body).predictions, expected);
  });

  it('answers errors with their status: 422 names the missing features, 400, 415, 404, 405', async () => {
    const missing = await post(url, JSON.stringify({ dataframe_split: { columns: ['sepal_length', 'sepal_width'], data: [[1, 2]] } }));
    assert.equal(missing.status, 422);
    const body = JSON.parse(missing.body);
    assert.deepEqual(body.missing_features, ['petal_length', 'petal_width']);
    assert.match(body.message, /missing 2 feature\(s\): petal_length, petal_width/);
    assert.equal((await post(url, '{not json')).status, 400);
    assert.equal((await post(url, 'x', 'application/xml')).status, 415);
    assert.equal((await httpRequest(`${url}/nope`)).status, 404);
    assert.equal((await httpRequest(`${url}/invocations`)).status, 405);
  });

  it('shows "serving on :PORT" on the version in the Models view, and sets the context for its menu', async () => {
    const item = await waitFor(async () => {
      const v = await versionNode(1);
      return v && String(v.item.description).includes(`serving on :${port}`) ? v.item : undefined;
    }, 'the Models view to show the server');
    assert.match(String(item.contextValue), /^version\.none\.serving$/);
    const other = (await versionNode(2))!.item;
    assert.equal(other.contextValue, 'version.none');
  });

  it('serves a second version at the same time, on its own port', async () => {
    const second = await vscode.commands.executeCommand<ServeResult>('mlwb.serveVersion', { model: MODEL, version: 2 }, { confirm: false });
    assert.ok(second);
    assert.notEqual(second.port, port);
    assert.deepEqual(servers().running.map((s) => s.version).sort(), [1, 2]);
    const [a, b] = await Promise.all([url, second.url].map((u) => post(u, JSON.stringify({ instances: ROWS }))));
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    // Serving a version already served returns its server.
    const again = await vscode.commands.executeCommand<ServeResult>('mlwb.serveVersion', `${MODEL}@2`, { confirm: false });
    assert.equal(again?.pid, second.pid);
  });

  it('the serving panel: the try-it template from the features, a request sent by the host, live metrics', async () => {
    await vscode.commands.executeCommand('mlwb.openServingPanel', { model: MODEL, version: 1 });
    const template = await waitFor(() => {
      const t = wb.serving.panels.shown(MODEL, 1)?.template;
      return t?.type === 'template' ? t : undefined;
    }, 'the try-it template');
    const split = JSON.parse(template.json).dataframe_split;
    assert.deepEqual(split.columns, FEATURES);
    assert.equal(split.data[0].length, 4);
    const response = await wb.serving.panels.send(MODEL, 1, { type: 'send', format: 'json', body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: ROWS } }), proba: false });
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body).predictions, expected);
    const recent = wb.serving.panels.shown(MODEL, 1)?.recent;
    assert.equal(recent?.type === 'recent' ? recent.requests[0].status : undefined, 200);
    const metrics = await waitFor(() => {
      const m = wb.serving.panels.shown(MODEL, 1)?.metrics;
      return m?.type === 'metrics' && m.metrics.latency[0].x.length >= 1 && m.metrics.totals ? m.metrics : undefined;
    }, 'two /metrics polls');
    assert.ok(metrics.totals!.invocations >= 8, `invocations ${metrics.totals!.invocations}`);
    assert.equal(metrics.totals!.errorsByStatus['422'], 1);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Stop Serving: the process ends, the port closes, the view forgets it', async () => {
    assert.equal(await vscode.commands.executeCommand('mlwb.stopServing', { model: MODEL, version: 1 }), true);
    assert.equal(servers().get(MODEL, 1), undefined);
    assert.equal(await portOpen(port), false);
    await waitFor(async () => ((await versionNode(1))!.item.contextValue === 'version.none' ? true : undefined), 'the view to drop the badge');
  });

  it('a server killed with SIGKILL is reported dead (its state changes), and Restart serves it again', async () => {
    const s = servers().get(MODEL, 2)!;
    const died = new Promise<ServedVersion>((resolve) => {
      const sub = servers().onDidChange((e) => {
        if (e.version === 2 && e.state === 'died') {
          sub.dispose();
          resolve(e);
        }
      });
    });
    process.kill(s.ready!.pid, 'SIGKILL');
    const dead = await died;
    assert.match(dead.exit!.reason, /stopped unexpectedly \(killed by SIGKILL\)/);
    assert.equal(servers().isServing(MODEL, 2), false);
    assert.equal(servers().get(MODEL, 2)?.state, 'died', 'kept, so the user sees it died');
    const again = await vscode.commands.executeCommand<ServeResult>('mlwb.serveVersion', { model: MODEL, version: 2 }, { confirm: false });
    assert.ok(again && again.pid !== s.ready!.pid);
    assert.equal((await httpRequest(`${again.url}/ping`)).status, 200);
    await vscode.commands.executeCommand('mlwb.stopServing', { model: MODEL, version: 2 });
    assert.equal(servers().servers.length, 0);
  });

  it('Predict on File: a 50,000-row CSV in chunks; the predictions file equals model.predict', async () => {
    const input = join(dir, 'batch.csv');
    const want = join(dir, 'batch.expected.csv');
    await run(PY, ['-c', DATA, (await wb.store.get()).getVersion(MODEL, 1)!.filePath, input, '50000', want]);
    const result = await vscode.commands.executeCommand<PredictOutcome>('mlwb.predictOnFile', { model: MODEL, version: 1 }, { input, chunkRows: 8000, confirm: false });
    assert.equal(result?.status, 'done', JSON.stringify(result));
    assert.equal(result.rows, 50_000);
    assert.equal(result.output, join(dir, 'batch.predictions.csv'));
    assert.deepEqual(result.ignoredColumns, ['id']);
    assert.deepEqual(lines(result.output!), lines(want));
  });

  it('Predict on File: cancel stops it between chunks and leaves no partial file', async () => {
    const input = join(dir, 'batch.csv');
    const output = join(dir, 'cancelled.predictions.csv');
    const pending = vscode.commands.executeCommand<PredictOutcome>('mlwb.predictOnFile', `${MODEL}@1`, { input, output, chunkRows: 100, confirm: false });
    const job = await waitFor(() => wb.serving.predictions.active.find((j) => j.progress !== undefined), 'the job to report progress', 60_000);
    await job.cancel();
    const result = await pending;
    assert.equal(result?.status, 'cancelled');
    assert.ok(result.rows < 50_000);
    assert.ok(!existsSync(output) && !existsSync(`${output}.part`));
  });
});
