// `npm test`: builds once, then runs every layer even when an earlier one fails, and ends with each
// runner's own summary line plus a total ("N passed, N failed"). Exit code: non-zero if any failed.
import { spawn } from 'node:child_process';

const layers = [
  { name: 'build', cmd: 'node', args: ['esbuild.mjs', '--tests'] },
  { name: 'typecheck', cmd: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'unit', cmd: 'npx', args: ['mocha', '--config', 'test/unit/.mocharc.json'] },
  // Faults, fuzzed bad input, path escapes, secrets and bounded load across the whole product (issue 13).
  { name: 'faults', cmd: 'npx', args: ['mocha', '--config', 'test/faults/.mocharc.json'] },
  { name: 'python', cmd: '/usr/bin/python3', args: ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'python-runner'] },
  { name: 'vscode', cmd: 'node', args: ['test/harness/run-vscode-tests.mjs'] },
  { name: 'ui', cmd: 'npx', args: ['mocha', '--config', 'test/ui/.mocharc.cjs'] },
];
const only = process.argv.slice(2);

function run({ cmd, args }) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

/** Counts from mocha ("N passing / N failing") or pytest ("N passed, N failed ... in 1.2s"). */
function counts(out) {
  const clean = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (re) => [...clean.matchAll(re)].reduce((s, m) => s + Number(m[1]), 0);
  const pytest = clean.match(/^=*\s*(.*\d+ (?:passed|failed|error|skipped).* in [\d.]+s.*?)=*\s*$/m);
  if (pytest) {
    const grab = (w) => Number(pytest[1].match(new RegExp(`(\\d+) ${w}`))?.[1] ?? 0);
    return { passed: grab('passed'), failed: grab('failed') + grab('error'), skipped: grab('skipped'), line: pytest[1].trim() };
  }
  const passed = num(/^\s*(\d+) passing/gm);
  const failed = num(/^\s*(\d+) failing/gm);
  const skipped = num(/^\s*(\d+) pending/gm);
  return { passed, failed, skipped, line: `${passed} passing, ${failed} failing, ${skipped} pending` };
}

const results = [];
for (const layer of layers) {
  if (only.length && !only.includes(layer.name)) continue;
  console.log(`\n━━━ ${layer.name} ━━━`);
  const started = Date.now();
  const { code, out } = await run(layer);
  const c = counts(out);
  results.push({ name: layer.name, code, seconds: (Date.now() - started) / 1000, ...c, counted: ['build', 'typecheck'].includes(layer.name) ? false : true });
}

console.log('\n━━━ summary ━━━');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  const ok = r.code === 0 && r.failed === 0;
  const detail = r.counted ? r.line : ok ? 'ok' : 'failed';
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(10)} ${detail} (${r.seconds.toFixed(1)} s${r.code ? `, exit ${r.code}` : ''})`);
  if (!r.counted) {
    if (!ok) failed++;
    continue;
  }
  passed += r.passed;
  failed += r.failed + (r.code !== 0 && r.failed === 0 ? 1 : 0);
  skipped += r.skipped;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(results.every((r) => r.code === 0 && r.failed === 0) ? 0 : 1);
