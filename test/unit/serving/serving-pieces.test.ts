import * as assert from 'node:assert/strict';
import { maskToken, parseFromServingPanel, parseServingPanelState } from '../../../src/serving/panel/contract';
import { chartSeries, MetricsHistory, parseMetrics } from '../../../src/serving/metrics-history';
import { defaultPredictionsPath } from '../../../src/serving/predict-job';
import { csvTemplate, jsonTemplate, parseMetadata, prettyBody } from '../../../src/serving/request-template';
import { LineSplitter, parsePredictLine, parseServeLine } from '../../../src/serving/serve-lines';
import { isLoopback, serveInvocation } from '../../../src/serving/serve-process';

// Captured from `python -m mlwb serve` / `predict` (python-runner/mlwb/_serve.py, _predict.py).
const READY =
  '{"event":"ready","url":"http://127.0.0.1:34717","host":"127.0.0.1","port":34717,"pid":31763,"name":"iris","version":"3","model":"/tmp/m.pkl","format":"pickle","modelClass":"sklearn.ensemble._forest.RandomForestClassifier","nFeatures":4,"sha256":"c3d8","tokenRequired":false,"maxBatch":64,"maxWaitMs":5.0,"maxBodyBytes":16777216}';
const METADATA = {
  name: 'm', version: null, path: '/tmp/m.pkl', format: 'pickle', model_class: 'sklearn.ensemble._forest.RandomForestClassifier', sha256: 'c3', size_bytes: 17769,
  features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], n_features: 4, classes: [0, 1, 2], task: 'classification', methods: ['predict', 'predict_proba'],
};
const metrics = (requests: number, invocations: number, count: number, mean: number | null, predictions: number, errors = 0, uptime = 10) => ({
  model: 'm', version: null, uptime_s: uptime, requests, errors, errors_by_status: errors ? { '422': errors } : {}, requests_by_status: { '200': requests - errors },
  requests_by_path: { '/metrics': requests - invocations, '/invocations': invocations }, predictions, throughput_rps: 0, throughput_rps_mean: 0,
  latency_ms: { count, mean, p50: mean, p95: mean, p99: mean, max: mean }, in_flight: 0, connections: 1,
  batching: { max_batch: 64, max_wait_ms: 5, batches: count, rows: predictions, requests: count, mean_rows: count ? predictions / count : null, max_rows: 3, max_requests: 1 },
});

describe('serving: stdout event lines', () => {
  it('parses the ready line, and the stopped and error lines', () => {
    const r = parseServeLine(READY);
    assert.equal(r?.event, 'ready');
    assert.ok(r && r.event === 'ready');
    assert.equal(r.port, 34717);
    assert.equal(r.url, 'http://127.0.0.1:34717');
    assert.equal(r.version, '3');
    assert.equal(r.tokenRequired, false);
    assert.deepEqual(parseServeLine('{"event":"stopped","reason":"signal","exitCode":0,"url":"http://127.0.0.1:1","requests":4}'), {
      event: 'stopped', reason: 'signal', exitCode: 0, error: undefined, requests: 4,
    });
    const err = parseServeLine('{"event":"error","error":"a token is required to bind 0.0.0.0","exitCode":2}');
    assert.equal(err?.event, 'error');
    assert.equal(err && 'exitCode' in err ? err.exitCode : undefined, 2);
  });

  it('ignores what is not an event line (logs, junk, a ready line without a port)', () => {
    for (const line of ['mlwb: serving', '', '{', '[1,2]', '{"event":"other"}', '{"event":"ready","url":"http://x"}', '{"event":"ready","url":"ftp://x","port":1,"pid":2}']) {
      assert.equal(parseServeLine(line), undefined, line);
    }
  });

  it('parses the predict result line', () => {
    const r = parsePredictLine('{"event":"done","rows":50000,"input":"/d/a.csv","output":"/d/a.predictions.csv","durationMs":812.5,"peakRssBytes":120000000,"exitCode":0,"ignoredColumns":["label"]}');
    assert.equal(r?.status, 'done');
    assert.equal(r?.rows, 50000);
    assert.deepEqual(r?.ignoredColumns, ['label']);
    const c = parsePredictLine('{"event":"cancelled","rows":20000,"output":null,"exitCode":130,"message":"cancelled after 20000 rows"}');
    assert.equal(c?.status, 'cancelled');
    assert.equal(c?.output, null);
    assert.equal(parsePredictLine('{"event":"ready"}'), undefined);
  });

  it('splits chunks into lines, keeping a torn last line for the next chunk', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('{"a":1}\n{"b"');
    s.push(':2}\r\n\npartial');
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
    s.end();
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', 'partial']);
  });
});

describe('serving: the try-it request template', () => {
  it('builds dataframe_split with the feature names and a sample row', () => {
    const meta = parseMetadata(METADATA);
    assert.deepEqual(meta?.features, METADATA.features);
    assert.deepEqual(JSON.parse(jsonTemplate(meta)), { dataframe_split: { columns: METADATA.features, data: [[0, 0, 0, 0]] } });
    assert.deepEqual(JSON.parse(jsonTemplate(meta, [5.1, 3.5, 1.4, 0.2])).dataframe_split.data, [[5.1, 3.5, 1.4, 0.2]]);
    assert.equal(csvTemplate(meta, [5.1, 3.5, 1.4, 0.2]), 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
  });

  it('falls back to positional rows when the model has no feature names', () => {
    const meta = parseMetadata({ ...METADATA, features: null, n_features: 3 });
    assert.deepEqual(JSON.parse(jsonTemplate(meta)), { dataframe_split: { data: [[0, 0, 0]] } });
    assert.equal(csvTemplate(meta), '0,0,0\n');
    assert.deepEqual(JSON.parse(jsonTemplate(undefined)), { dataframe_split: { data: [[0]] } });
  });

  it('quotes CSV header cells that need it, and pretty-prints JSON answers (cut when long)', () => {
    assert.equal(csvTemplate({ features: ['a,b', 'c"d'], nFeatures: 2 }), '"a,b","c""d"\n0,0\n');
    assert.equal(prettyBody('{"predictions":[0]}'), '{\n  "predictions": [\n    0\n  ]\n}');
    assert.equal(prettyBody('plain'), 'plain');
    assert.match(prettyBody('x'.repeat(50), 10), /^x{10}\n… \(40 more characters\)$/);
  });
});

describe('serving: /metrics -> chart series', () => {
  it('parses a snapshot and rejects what is not one', () => {
    const s = parseMetrics(metrics(5, 3, 3, 2, 6));
    assert.equal(s?.requestsByPath['/invocations'], 3);
    assert.equal(s?.latency.p95, 2);
    assert.equal(parseMetrics({ requests: 'x' }), undefined);
    assert.equal(parseMetrics(null), undefined);
  });

  it('turns counter deltas into rates and the interval mean latency', () => {
    const h = new MetricsHistory(3);
    assert.equal(h.add(parseMetrics(metrics(2, 0, 0, null, 0))!, 10_000), undefined, 'the first snapshot is the baseline');
    const p = h.add(parseMetrics(metrics(13, 10, 10, 3, 30, 2, 12))!, 12_000)!;
    assert.equal(p.t, 12);
    assert.equal(p.rps, 5);
    assert.equal(p.rowsPerS, 15);
    assert.equal(p.errorsPerS, 1);
    assert.equal(p.mean, 3);
    // 10 more at a mean of 5 ms: cumulative mean 4 over 20.
    const q = h.add(parseMetrics(metrics(24, 20, 20, 4, 40, 2, 13))!, 13_000)!;
    assert.equal(q.mean, 5);
    assert.equal(q.rps, 10);
    const idle = h.add(parseMetrics(metrics(25, 20, 20, 4, 40, 2, 14))!, 14_000)!;
    assert.equal(idle.mean, null, 'no request in the interval: no mean');
    assert.equal(idle.rps, 0);
    h.add(parseMetrics(metrics(26, 20, 20, 4, 40, 2, 15))!, 15_000);
    assert.equal(h.points.length, 3, 'bounded');
    const series = chartSeries(h.points);
    assert.deepEqual(series.latency.map((s) => s.id), ['p50', 'p95', 'p99', 'mean']);
    assert.deepEqual(series.throughput.map((s) => s.id), ['rps', 'rows', 'errors']);
    assert.deepEqual(series.latency[3].y, [5, null, null]);
    assert.deepEqual(series.throughput[0].x, [13, 14, 15]);
  });

  it('starts the deltas again when the server restarted (counters went down)', () => {
    const h = new MetricsHistory();
    h.add(parseMetrics(metrics(50, 40, 40, 2, 40, 0, 100))!, 1000);
    assert.equal(h.add(parseMetrics(metrics(1, 0, 0, null, 0, 0, 1))!, 2000), undefined);
    assert.ok(h.add(parseMetrics(metrics(3, 1, 1, 1, 1, 0, 2))!, 3000));
  });
});

describe('serving: pieces', () => {
  it('validates the panel messages (no URL, host or path ever comes from the webview)', () => {
    assert.deepEqual(parseFromServingPanel({ type: 'send', format: 'csv', body: 'a\n1', proba: true }), { type: 'send', format: 'csv', body: 'a\n1', proba: true });
    assert.deepEqual(parseFromServingPanel({ type: 'send', format: 'json', body: '{}', url: 'http://evil' }), { type: 'send', format: 'json', body: '{}', proba: false });
    assert.deepEqual(parseFromServingPanel({ type: 'stop' }), { type: 'stop' });
    assert.throws(() => parseFromServingPanel({ type: 'send', format: 'xml', body: '' }));
    assert.throws(() => parseFromServingPanel({ type: 'send', format: 'json', body: 3 }));
    assert.throws(() => parseFromServingPanel({ type: 'fetch', url: 'http://x' }));
    assert.deepEqual(parseServingPanelState({ model: 'iris', version: 2 }), { model: 'iris', version: 2 });
    assert.throws(() => parseServingPanelState({ model: 'iris', version: 0 }));
  });

  it('masks tokens, knows loopback hosts, names the predictions file', () => {
    assert.equal(maskToken('abcdefghijklmnop'), 'abcd••••••••mnop');
    assert.equal(maskToken('short'), '•••••');
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '192.168.1.2', '::', 'example.com']) assert.ok(!isLoopback(h), h);
    assert.equal(defaultPredictionsPath('/d/data.csv'), '/d/data.predictions.csv');
    assert.equal(defaultPredictionsPath('/d/data.CSV'), '/d/data.predictions.csv');
    assert.equal(defaultPredictionsPath('/d/data.txt'), '/d/data.txt.predictions.csv');
  });

  it('passes the token in the environment, never on the command line', () => {
    const o = { python: 'py', runnerDir: '/r', model: '/m.pkl', name: 'iris', version: '3', host: '0.0.0.0', port: 0, token: 'secret-token', maxBatch: 64, maxWaitMs: 5, maxBodyMb: 16 };
    const inv = serveInvocation(o, { pipeName: '/tmp/p.sock', secret: 'session-secret' });
    assert.ok(!inv.args.join(' ').includes('secret-token'));
    assert.ok(!inv.args.join(' ').includes('session-secret'));
    assert.equal(inv.env.MLWB_SERVE_TOKEN, 'secret-token');
    assert.equal(inv.env.MLWB_RPC_PIPE, '/tmp/p.sock');
    assert.equal(inv.env.MLWB_RPC_SECRET, 'session-secret');
    assert.deepEqual(inv.args.slice(0, 7), ['-m', 'mlwb', 'serve', '--model', '/m.pkl', '--host', '0.0.0.0']);
    const loop = serveInvocation({ ...o, host: '127.0.0.1', token: undefined, baseEnv: { MLWB_SERVE_TOKEN: 'inherited', MLWB_RPC_SECRET: 'inherited', PYTHONPATH: '/x' } });
    assert.equal(loop.env.MLWB_SERVE_TOKEN, undefined, 'an inherited token is not passed on');
    assert.equal(loop.env.MLWB_RPC_SECRET, undefined, 'nor an inherited session secret');
    assert.equal(loop.env.PYTHONPATH, '/r:/x');
  });
});
