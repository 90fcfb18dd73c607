// npm run test:soak [-- --runs N] [--load] [--layers python,vscode,ui] [--shuffle [SEED]]
// Runs the python, vscode and ui layers N times (default 5) to find flaky tests: each test's pass/fail counts
// over the runs, a total, and each layer's times. --load keeps a busy process on one core meanwhile (a loaded CI
// machine); --shuffle runs the vscode and ui files in a new order each run (MLWB_TEST_SHUFFLE=<seed>-<run>).
// Counts come from pytest's JUnit XML and from mocha's results file (test/shared/results-reporter.ts); each
// layer's output is in test-results/soak/<layer>-<run>.log. Exit code 1 when anything failed.
// Build first (npm run test:soak does): node esbuild.mjs --tests.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './code-server.mjs';

const LAYERS = {
  python: (out) => ({ cmd: '/usr/bin/python3', args: ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'python-runner', `--junitxml=${out}.xml`], read: () => junit(`${out}.xml`) }),
  vscode: (out) => ({ cmd: 'node', args: ['test/harness/run-vscode-tests.mjs'], env: { MLWB_TEST_RESULTS: `${out}.json` }, read: () => mochaResults(`${out}.json`) }),
  ui: (out) => ({ cmd: 'npx', args: ['mocha', '--config', 'test/ui/.mocharc.cjs'], env: { MLWB_TEST_RESULTS: `${out}.json` }, read: () => mochaResults(`${out}.json`) }),
};

const opts = parseArgs(process.argv.slice(2));
const dir = join(repoRoot, 'test-results', 'soak');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

/** test key -> { layer, title, passed, failed, skipped, errors: [first lines] } */
const tests = new Map();
/** layer -> seconds of each run */
const times = Object.fromEntries(opts.layers.map((l) => [l, []]));
const load = opts.load ? startLoad() : undefined;
process.on('SIGINT', () => {
  load?.kill('SIGKILL');
  process.exit(130);
});

console.log(`soak: ${opts.runs} run(s) of ${opts.layers.join(', ')}${load ? `, with a busy process (pid ${load.pid}) on core 0` : ''}${opts.shuffle ? `, files shuffled (seed ${opts.shuffle}-<run>)` : ''}`);
try {
  for (let run = 1; run <= opts.runs; run++) {
    for (const layer of opts.layers) {
      const out = join(dir, `${layer}-${run}`);
      const spec = LAYERS[layer](out);
      const started = Date.now();
      const code = await runLayer(spec, `${out}.log`, opts.shuffle ? { MLWB_TEST_SHUFFLE: `${opts.shuffle}-${run}` } : {});
      const seconds = (Date.now() - started) / 1000;
      times[layer].push(seconds);
      const results = spec.read();
      for (const r of results) count(layer, r.title, r.state, r.error);
      const failed = results.filter((r) => r.state === 'failed');
      // A layer that ended badly without a failing test (a crash, a timeout, no results) fails as a whole.
      if (code !== 0 && !failed.length) count(layer, `(the ${layer} layer itself: exit ${code}, see ${out}.log)`, 'failed', `exit ${code}`);
      else if (code === 0) count(layer, `(the ${layer} layer itself)`, 'passed');
      const n = (s) => results.filter((r) => r.state === s).length;
      console.log(`run ${run}/${opts.runs}  ${layer.padEnd(6)}  ${n('passed')} passed, ${n('failed')} failed, ${n('pending')} skipped  ${seconds.toFixed(0)} s${code ? `  exit ${code}` : ''}  (${out}.log)`);
      for (const f of failed) console.log(`      FAILED ${f.title}\n        ${(f.error ?? '').split('\n')[0].slice(0, 300)}`);
    }
  }
} finally {
  load?.kill('SIGKILL');
}

report();

function report() {
  const all = [...tests.values()];
  const flaky = all.filter((t) => t.failed > 0);
  console.log(`\n━━━ per test (passed / failed / skipped over ${opts.runs} run(s)) ━━━`);
  for (const layer of opts.layers) {
    const mine = all.filter((t) => t.layer === layer).sort((a, b) => b.failed - a.failed || a.title.localeCompare(b.title));
    console.log(`\n${layer}: ${mine.length} tests`);
    for (const t of mine) console.log(`  ${t.failed ? 'FAIL' : 'ok  '} ${String(t.passed).padStart(2)} / ${String(t.failed).padStart(2)} / ${String(t.skipped).padStart(2)}  ${t.title}`);
  }
  console.log('\n━━━ layer times (s): min / median / max ━━━');
  for (const [layer, ts] of Object.entries(times)) {
    const s = [...ts].sort((a, b) => a - b);
    console.log(`  ${layer.padEnd(6)} ${s[0]?.toFixed(0)} / ${s[Math.floor(s.length / 2)]?.toFixed(0)} / ${s.at(-1)?.toFixed(0)}`);
  }
  const sum = (k) => all.reduce((a, t) => a + t[k], 0);
  console.log(`\n${all.length} tests × ${opts.runs} run(s): ${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped; ${flaky.length} test(s) failed at least once`);
  for (const t of flaky) console.log(`  ${t.layer}: ${t.title} (${t.failed}×): ${t.errors[0] ?? ''}`);
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ runs: opts.runs, load: opts.load, layers: opts.layers, times, tests: all }, null, 1));
  console.log(`(test-results/soak/summary.json)`);
  process.exit(flaky.length ? 1 : 0);
}

function count(layer, title, state, error) {
  const key = `${layer}\0${title}`;
  const t = tests.get(key) ?? { layer, title, passed: 0, failed: 0, skipped: 0, errors: [] };
  tests.set(key, t);
  if (state === 'passed') t.passed++;
  else if (state === 'failed') {
    t.failed++;
    if (error) t.errors.push(error.split('\n')[0].slice(0, 300));
  } else t.skipped++;
}

function runLayer({ cmd, args, env }, logFile, extraEnv) {
  return new Promise((resolve) => {
    const log = createWriteStream(logFile);
    const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('close', (code, signal) => log.end(() => resolve(code ?? (signal ? 1 : 0))));
  });
}

/** pytest's JUnit XML: one <testcase> per test, with <failure>, <error> or <skipped> inside when it did not pass. */
function junit(file) {
  if (!existsSync(file)) return [];
  const xml = readFileSync(file, 'utf8');
  const unescape = (s) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const attr = (tag, name) => unescape(new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1] ?? '');
  return [...xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map(([, tag, body = '']) => {
    const bad = /<(failure|error)\b([^>]*)>/.exec(body);
    return {
      title: `${attr(tag, 'classname')}::${attr(tag, 'name')}`,
      state: bad ? 'failed' : /<skipped\b/.test(body) ? 'pending' : 'passed',
      error: bad ? attr(bad[2], 'message') : undefined,
    };
  });
}

function mochaResults(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
}

/** A busy loop pinned to core 0 (taskset), as another job on a shared CI machine would be. */
function startLoad() {
  const child = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
  child.on('error', (e) => console.error(`soak: --load needs taskset (util-linux): ${e.message}`));
  return child;
}

function parseArgs(argv) {
  const o = { runs: 5, load: false, layers: Object.keys(LAYERS), shuffle: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--load') o.load = true;
    else if (a === '--layers') o.layers = argv[++i].split(',').map((l) => l.trim()).filter(Boolean);
    else if (a === '--shuffle') o.shuffle = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : String(Math.floor(Math.random() * 1e6));
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) usage('--runs takes a whole number ≥ 1');
  const unknown = o.layers.filter((l) => !LAYERS[l]);
  if (unknown.length || !o.layers.length) usage(`--layers takes some of ${Object.keys(LAYERS).join(', ')} (got ${unknown.join(', ') || 'none'})`);
  return o;
}

function usage(problem) {
  console.error(`soak: ${problem}\nusage: npm run test:soak -- [--runs N] [--load] [--layers python,vscode,ui] [--shuffle [SEED]]`);
  process.exit(2);
}
