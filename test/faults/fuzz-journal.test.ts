// Guarantee: bad journal lines (truncated, invalid UTF-8, huge, wrong types in any field of any record, unknown types, nested garbage) are skipped and reported with file/offset, never thrown, and every good line around them is kept.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrackingStore } from '../../src/store/tracking-store';
import { JOURNAL_VERSION } from '../../src/store/records';
import { modelDirName } from '../../src/store/registry-names';
import { everyFieldWrong, fuzzSeed, mutate, Prng, randomValue } from './fuzz-helpers';
import { EXPERIMENT_EVENTS, MANIFEST, REGISTRY_EVENTS, RUN_EDITS, RUN_EVENTS, TS } from './fuzz-records';

const WASM = require.resolve('sql.js/dist/sql-wasm.wasm');
const V = JOURNAL_VERSION;

/** Lines that are not records at all: each must be reported at its own offset. */
function structuralGarbage(r: Prng, goodLine: string): Buffer {
  const good = goodLine.replace(/good/g, 'gbad'); // a broken copy that still parses must not pass for the good record
  switch (r.int(9)) {
    case 0:
      return Buffer.from(good.slice(0, 1 + r.int(good.length - 2))); // truncated (a torn write followed by more lines)
    case 1: {
      const b = Buffer.from(good);
      b[r.int(b.length)] = r.pick([0xff, 0xc3, 0x80, 0xfe]); // invalid UTF-8 inside a record
      return b;
    }
    case 2:
      return Buffer.from(r.bytes(1 + r.int(200)).map((x) => (x === 0x0a ? 0x20 : x))); // binary garbage, no newline inside
    case 3:
      return Buffer.from(JSON.stringify(randomValue(r, 4)) ?? 'undefined'); // any JSON value, nested
    case 4:
      return Buffer.from(JSON.stringify({ v: V + 1 + r.int(5), t: 'log', ts: TS, level: 'info', msg: 'from the future' }));
    case 5:
      return Buffer.from(JSON.stringify({ t: 'log', msg: 'no v' }));
    case 6:
      return Buffer.from('['.repeat(5000) + ']'.repeat(4999)); // deep nesting, unbalanced
    case 7:
      return Buffer.from(`{"v":1,"t":"log","msg":"${'x'.repeat(r.int(100))}`); // unterminated string
    default:
      return Buffer.from(JSON.stringify({ v: 'one', t: 7 }));
  }
}

/** Records of unknown type (forward compatible: skipped silently) and mutated known ones (applied, or reported). */
function recordGarbage(r: Prng, templates: Record<string, unknown>[]): string {
  if (r.chance(0.1)) return JSON.stringify({ v: V, t: `future.${r.int(9)}`, ts: TS, payload: randomValue(r) });
  let rec = mutate(r, r.pick(templates));
  if (r.chance(0.3)) rec = mutate(r, rec);
  return JSON.stringify(rec);
}

interface Journal {
  chunks: Buffer[];
  size: number;
  /** Offsets and line numbers of lines that must be reported. */
  mustReport: { offset: number; line: number }[];
  /** Offsets of good lines: never reported. */
  good: Set<number>;
  lines: number;
}

function journal(): Journal {
  return { chunks: [], size: 0, mustReport: [], good: new Set(), lines: 0 };
}

function add(j: Journal, line: Buffer | string, kind: 'good' | 'report' | 'maybe'): void {
  const b = Buffer.concat([typeof line === 'string' ? Buffer.from(line) : line, Buffer.from('\n')]);
  j.lines++;
  if (kind === 'good') j.good.add(j.size);
  if (kind === 'report') j.mustReport.push({ offset: j.size, line: j.lines });
  j.chunks.push(b);
  j.size += b.length;
}

/** Good records interleaved with `garbage` bad lines: structural garbage, unknown types, every field of every template wrong, random mutations. */
function interleave(r: Prng, goods: string[], templates: Record<string, unknown>[], randomBad: number, counts: { inputs: number }): Journal {
  const j = journal();
  const exhaustive = templates.flatMap((t) => [...everyFieldWrong(t)].map((x) => JSON.stringify(x)));
  const bad: { text: Buffer | string; kind: 'report' | 'maybe' }[] = exhaustive.map((text) => ({ text, kind: 'maybe' }));
  for (let i = 0; i < randomBad; i++) {
    bad.push(r.chance(0.5) ? { text: structuralGarbage(r, r.pick(goods)), kind: 'report' } : { text: recordGarbage(r, templates), kind: 'maybe' });
  }
  // Shuffle the bad lines, then spread them between the good ones.
  for (let i = bad.length - 1; i > 0; i--) {
    const k = r.int(i + 1);
    [bad[i], bad[k]] = [bad[k], bad[i]];
  }
  const per = Math.ceil(bad.length / goods.length);
  goods.forEach((g, i) => {
    add(j, g, 'good');
    for (const b of bad.slice(i * per, (i + 1) * per)) add(j, b.text, b.kind);
  });
  counts.inputs += bad.length;
  return j;
}

function write(file: string, j: Journal): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat(j.chunks));
}

describe('fuzz: journal lines', function () {
  this.timeout(60_000);
  let dir: string;
  let store: TrackingStore | undefined;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-fuzz-journal-'))));
  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('garbage of every kind in every journal: nothing throws, each bad line is reported at its offset, every good record is kept', async () => {
    const seed = fuzzSeed(13013);
    const r = new Prng(seed);
    const root = path.join(dir, '.mlwb');
    const counts = { inputs: 0 };
    const N = 300; // good records per journal

    // A run journal: params, logs, one metric, files and a tuning session's trials, all good.
    const goodRun: string[] = [JSON.stringify({ v: V, t: 'status', ts: TS, status: 'running' })];
    goodRun.push(JSON.stringify({ v: V, t: 'tuning.session', ts: TS, id: 'good-s', study_name: 'good', directions: ['minimize'], sampler: 'tpe', source: 'mlwb' }));
    for (let i = 0; i < N; i++) {
      const rec = [
        { t: 'params', values: { [`good.p${i}`]: i } },
        { t: 'log', level: 'info', msg: `good-${i}` },
        { t: 'metrics', series: { 'good/m': { step: [i], value: [i * 0.5], time: [TS + i] } } },
        { t: 'file', op: 'save', id: `good-f${i}`, path: `files/f${i}.txt`, size: i },
        { t: 'tuning.trial', session: 'good-s', number: i, state: 'complete', params: { x: i }, values: [i] },
      ][i % 5];
      goodRun.push(JSON.stringify({ v: V, ts: TS + i, ...rec }));
    }
    const runJ = interleave(r, goodRun, RUN_EVENTS, 3000, counts);
    add(runJ, JSON.stringify({ v: V, t: 'status', ts: TS + N, status: 'completed', exit_code: 0 }), 'good');
    fs.mkdirSync(path.join(root, 'runs', 'r-good'), { recursive: true });
    fs.writeFileSync(path.join(root, 'runs', 'r-good', 'run.json'), JSON.stringify({ ...MANIFEST, id: 'r-good', experiment: { id: 'good-exp', name: 'good-exp' } }));
    write(path.join(root, 'runs', 'r-good', 'events.jsonl'), runJ);

    const goodExp = Array.from({ length: N }, (_, i) => JSON.stringify({ v: V, t: 'experiment.created', ts: TS + i, id: `good-e${i}`, name: `good-e${i}`, description: `d${i}` }));
    const expJ = interleave(r, goodExp, EXPERIMENT_EVENTS, 1000, counts);
    write(path.join(root, 'experiments.jsonl'), expJ);

    const goodEdits = Array.from({ length: N }, (_, i) => JSON.stringify({ v: V, t: 'run.notes', ts: TS + i, run: 'r-good', notes: `note-${i}` }));
    const editJ = interleave(r, goodEdits, RUN_EDITS, 1000, counts);
    write(path.join(root, 'edits.jsonl'), editJ);

    const model = 'good-model';
    const goodReg = [JSON.stringify({ v: V, t: 'model.created', ts: TS, id: 'g0', model })];
    for (let i = 1; i <= N; i++) {
      goodReg.push(JSON.stringify({
        v: V, t: 'version.registered', ts: TS + i, id: `g${i}`, model, version: i, path: `registry/models/${modelDirName(model)}/${i}/m.pkl`,
        source_file: 'm.pkl', format: 'pickle', size: i, sha256: `sha${i}`,
      }));
    }
    const regJ = interleave(r, goodReg, REGISTRY_EVENTS, 2000, counts);
    write(path.join(root, 'registry', 'events.jsonl'), regJ);

    // Mutated run.json files: each run is either taken or reported, never fatal.
    const manifests = [...everyFieldWrong(MANIFEST)].concat(Array.from({ length: 100 }, () => mutate(r, MANIFEST)));
    manifests.forEach((m, i) => {
      const runDir = path.join(root, 'runs', `r-m${i}`);
      fs.mkdirSync(runDir, { recursive: true });
      fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(m));
      fs.writeFileSync(path.join(runDir, 'events.jsonl'), `${goodRun[0]}\n`);
    });
    counts.inputs += manifests.length;

    store = await TrackingStore.open(root, { wasmPath: WASM, saveDelayMs: 60_000 });
    const problems = store.problems(1_000_000);

    // Nothing lost.
    const run = store.getRun('r-good', { logLimit: 10_000 });
    assert.ok(run, `the good run is in the index: ${JSON.stringify(problems.filter((p) => p.file.startsWith('runs/r-good/run')))}`);
    assert.equal(run.status, 'completed');
    const want = (k: number) => Array.from({ length: N }, (_, i) => i).filter((i) => i % 5 === k);
    for (const i of want(0)) assert.equal(run.params[`good.p${i}`], i);
    const byNumber = (a: string, b: string) => Number(a.slice(5)) - Number(b.slice(5));
    assert.deepEqual(run.logs.map((l) => l.msg).filter((m) => /^good-\d+$/.test(m)).sort(byNumber), want(1).map((i) => `good-${i}`));
    const metric = store.getSeries('r-good', 'good/m', { width: 100_000 });
    assert.deepEqual(metric?.y, want(2).map((i) => i * 0.5));
    const files = run.files.filter((f) => f.id.startsWith('good-f')).map((f) => f.id).sort();
    assert.deepEqual(files, want(3).map((i) => `good-f${i}`).sort());
    const study = store.getTuningSession('good-s');
    assert.deepEqual(study?.trials.map((t) => t.number), want(4));
    assert.equal(run.notes, `note-${N - 1}`);
    const exps = new Set(store.listExperiments().map((e) => e.id));
    for (let i = 0; i < N; i++) assert.ok(exps.has(`good-e${i}`), `experiment good-e${i} kept`);
    assert.deepEqual(store.listVersions(model).map((v) => v.version).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i + 1));

    // Every structurally bad line reported with its file, line and byte offset; no good line reported.
    const reported = new Map<string, Set<number>>();
    for (const p of problems) {
      if (p.offset === undefined) continue;
      if (!reported.has(p.file)) reported.set(p.file, new Set());
      reported.get(p.file)!.add(p.offset);
    }
    const journals: [string, Journal][] = [['runs/r-good/events.jsonl', runJ], ['experiments.jsonl', expJ], ['edits.jsonl', editJ], ['registry/events.jsonl', regJ]];
    for (const [file, j] of journals) {
      const got = reported.get(file) ?? new Set();
      for (const m of j.mustReport) assert.ok(got.has(m.offset), `${file}: line ${m.line} (offset ${m.offset}) not reported`);
      for (const off of got) assert.ok(!j.good.has(off), `${file}: the good line at offset ${off} was reported`);
      const withLine = problems.filter((p) => p.file === file && p.offset !== undefined);
      for (const p of withLine) assert.ok(typeof p.line === 'number' && p.line >= 1, `${file}: problem without a line number: ${JSON.stringify(p)}`);
    }
    const manifestProblems = problems.filter((p) => /^runs\/r-m\d+\/run\.json$/.test(p.file)).length;
    const manifestRuns = store.listRuns({ limit: 10_000 }).runs.filter((x) => x.id.startsWith('r-m')).length;
    assert.equal(manifestProblems + manifestRuns, manifests.length, 'each run.json is either taken or reported');

    // Whatever the garbage put in the index, every query still answers.
    const all = store.listRuns({ limit: 10_000 }).runs;
    for (const x of all) assert.ok(store.getRun(x.id));
    store.compareRuns(all.map((x) => x.id));
    store.runActivity();
    store.metricKeys();
    store.runTagNames();
    for (const s of store.listTuningSessions()) store.getTuningSession(s.id);
    for (const m of store.listModels()) for (const v of store.listVersions(m.name)) store.getVersion(m.name, v.version);

    const mustReport = journals.reduce((s, [, j]) => s + j.mustReport.length, 0);
    console.log(`fuzz: journal lines: seed ${seed}, ${counts.inputs} inputs (${mustReport} structurally bad, ${manifests.length} run.json), ${problems.length} problems reported, 0 crashes`);
  });

  it('regressions: a field sql.js cannot bind, a prototype key as log level, array tags in run.json', async () => {
    const root = path.join(dir, '.mlwb');
    const runDir = path.join(root, 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify({ ...MANIFEST, id: 'r1', tags: ['ok', [1, 2], { a: 1 }], cwd: ['x'] }));
    const lines = [
      { v: V, t: 'log', ts: { not: 'a number' }, level: 'info', msg: 'bad ts' }, // threw "tried to bind a value of an unknown type" and stopped ingestion
      { v: V, t: 'log', ts: TS, level: 'constructor', msg: 'odd level' }, // LEVELS['constructor'] was a function
      { v: V, t: 'status', ts: TS, status: 'failed', error: { message: 'an object' } },
      { v: V, t: 'log', ts: TS, level: 'info', msg: 'after' },
    ];
    fs.writeFileSync(path.join(runDir, 'events.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    store = await TrackingStore.open(root, { wasmPath: WASM, saveDelayMs: 60_000 });
    assert.deepEqual(store.getLogs('r1').logs.map((l) => [l.msg, l.level]), [['odd level', 'constructor'], ['after', 'info']]);
    assert.deepEqual(store.listRuns().runs.map((x) => [x.id, x.tags]), [['r1', ['ok']]], 'only string tags; listRuns answers');
    const reasons = store.problems().map((p) => [p.line, p.reason]);
    assert.ok(reasons.some(([line, reason]) => line === 1 && /unusable record/.test(String(reason))), JSON.stringify(reasons));
    assert.ok(reasons.some(([line]) => line === 3), JSON.stringify(reasons));
  });

  it('a 50 MB line, lines cut anywhere and invalid UTF-8 at chunk edges: reported, the lines around them kept', async () => {
    const seed = fuzzSeed(1313);
    const r = new Prng(seed);
    const root = path.join(dir, '.mlwb');
    const runDir = path.join(root, 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify({ ...MANIFEST, id: 'r1', experiment: { id: 'e', name: 'e' } }));
    const file = path.join(runDir, 'events.jsonl');
    const j = journal();
    const good = (i: number) => JSON.stringify({ v: V, t: 'log', ts: TS + i, level: 'info', msg: `good-${i}` });
    let i = 0;
    add(j, good(i++), 'good');
    add(j, `{"v":1,"t":"log","ts":1,"level":"info","msg":"${'y'.repeat(50 * 1024 * 1024)}`, 'report'); // 50 MB, unterminated
    add(j, good(i++), 'good');
    add(j, Buffer.concat([Buffer.from('{"v":1,"t":"log","msg":"'), Buffer.alloc(3 * 1024 * 1024, 0xff), Buffer.from('"}')]), 'report'); // 3 MB of invalid UTF-8 in a JSON string
    add(j, good(i++), 'good');
    let inputs = 2;
    for (let k = 0; k < 500; k++) {
      const g = good(1000 + k);
      add(j, g.slice(0, r.int(g.length - 1) + 1), 'report');
      add(j, good(i++), 'good');
      inputs++;
    }
    write(file, j);
    // A small read chunk: lines and multi-byte characters straddle chunk edges.
    store = await TrackingStore.open(root, { wasmPath: WASM, saveDelayMs: 60_000, chunkBytes: 4096 + r.int(4096) });
    const logs = store.getLogs('r1', { limit: 10_000 }).logs.map((l) => l.msg);
    assert.deepEqual(logs.filter((m) => m.startsWith('good-')), Array.from({ length: i }, (_, k) => `good-${k}`));
    const offsets = new Set(store.problems(10_000).filter((p) => p.file === 'runs/r1/events.jsonl').map((p) => p.offset));
    for (const m of j.mustReport) assert.ok(offsets.has(m.offset), `line ${m.line} at ${m.offset} not reported`);
    // The invalid UTF-8 one is named as such.
    assert.ok(store.problems(10_000).some((p) => /invalid UTF-8/.test(p.reason)));
    // A torn last line (no newline yet) is not a problem: it is read when it is complete.
    fs.appendFileSync(file, good(i).slice(0, 10));
    const before = store.problems(10_000).length;
    await store.refresh();
    assert.equal(store.problems(10_000).length, before);
    fs.appendFileSync(file, `${good(i).slice(10)}\n`);
    await store.refresh();
    assert.equal(store.getLogs('r1', { limit: 10_000 }).logs.at(-1)?.msg, `good-${i}`);
    console.log(`fuzz: journal huge/torn lines: seed ${seed}, ${inputs} inputs (one 50 MB line), 0 crashes`);
  });
});
