// Guarantee: secret-looking environment values (.env included) and command-line values never reach the store (journals, index, series cache), the extension's log or a webview payload.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDotenv } from '../../src/runner/dotenv';
import { runnerInvocation } from '../../src/runner/launch-spec';
import { maskArgv } from '../../src/runner/secrets';
import { dashboardData } from '../../src/runs/dashboard/dashboard-data';
import { TrackingStore } from '../../src/store/tracking-store';

const repo = path.resolve(__dirname, '../../..');
const PYTHON = '/usr/bin/python3';

// Each value is unique so that any copy of it anywhere is found.
const ENV_SECRETS = { AWS_SECRET_ACCESS_KEY: 'env-aws-9f3k2j1q8z', HF_TOKEN: 'env-hf-token-7x6c5v4b', DB_PASSWORD: 'env-db-pass-0p9o8i7u' };
const DOTENV_SECRETS = { OPENAI_API_KEY: 'dotenv-openai-1a2s3d4f', WANDB_AUTH: 'dotenv-wandb-5g6h7j8k', DATABASE_URL_PASS: 'dotenv-dburl-2w3e4r5t' };
const COMMITTED = 'committed-old-secret-3m4n5b6v';
const ARGV_SECRETS = ['argv-apikey-1q2w3e4r', 'argv-password-5t6y7u8i', 'argv-token-9o0p1a2s', 'argv-urlpass-3d4f5g6h', 'argv-auth-7j8k9l0z'];
const ARGS = [
  `--api-key=${ARGV_SECRETS[0]}`, '--password', ARGV_SECRETS[1], `token=${ARGV_SECRETS[2]}`, `https://alice:${ARGV_SECRETS[3]}@example.com/data.csv`,
  '--auth-token', ARGV_SECRETS[4], '--lr', '0.1',
];
const ALL = [...Object.values(ENV_SECRETS), ...Object.values(DOTENV_SECRETS), COMMITTED, ...ARGV_SECRETS];

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Every file under `dir`, with its bytes. */
function files(dir: string): [string, Buffer][] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => {
    const abs = path.join(e.parentPath, e.name);
    return [path.relative(dir, abs), fs.readFileSync(abs)];
  });
}

function assertNoSecret(where: string, text: string | Buffer): void {
  const s = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  for (const secret of ALL) assert.ok(!s.includes(secret), `${where} holds the secret ${secret}`);
}

describe('faults: secrets never reach the store, the log or the UI', () => {
  let ws: string;
  let store: string;
  let runs: TrackingStore | undefined;

  before(function () {
    this.timeout(60_000);
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-faults-secrets-'));
    store = path.join(ws, '.mlwb');
    // A repository whose committed .env then changes: its diff would carry the secrets.
    git(ws, 'init', '-q');
    fs.writeFileSync(path.join(ws, '.env'), `OLD_SECRET=${COMMITTED}\n`);
    fs.writeFileSync(path.join(ws, 'train.py'), 'print("v1")\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'init');
    fs.writeFileSync(path.join(ws, '.env'), Object.entries(DOTENV_SECRETS).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    // The script checks every secret reached it (its source must not hold them: the recorded diff would).
    fs.writeFileSync(
      path.join(ws, 'train.py'),
      `import os, sys
names = ${JSON.stringify([...Object.keys(ENV_SECRETS), ...Object.keys(DOTENV_SECRETS)])}
assert all(os.environ.get(n) for n in names), "a secret did not reach the script"
assert "--api-key=argv-apikey-" + "1q2w3e4r" in sys.argv, "argv did not reach the script"
from mlwb import dxp
dxp.params.set(lr=0.1)
for i in range(50):
    dxp.metrics("train").log(loss=1 / (i + 1))
print("secrets seen:", len(names), "args:", len(sys.argv) - 1)
# A careless script prints and logs its secrets: the terminal shows them, the run's log masks them.
print("env:", " ".join(os.environ[n] for n in names))
print("argv:", " ".join(sys.argv[1:]), file=sys.stderr)
dxp.log("connecting with " + os.environ[names[0]])
`,
    );
  });
  after(async () => {
    await runs?.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('a real run under the real runner, with secrets in env, .env and argv, records none of them anywhere in the store', async function () {
    this.timeout(60_000);
    const spec = { script: path.join(ws, 'train.py'), args: ARGS, cwd: ws, python: PYTHON, env: parseDotenv(fs.readFileSync(path.join(ws, '.env'), 'utf8'), process.env) };
    const { command, args, env } = runnerInvocation(spec, path.join(repo, 'python-runner'), '', store, { ...process.env, ...ENV_SECRETS });
    delete env.MLWB_RPC_PIPE; // no extension to talk to: the run is tracked through its journal alone
    const r = spawnSync(command, args, { cwd: ws, env: { ...process.env, ...ENV_SECRETS, ...env }, encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /secrets seen: 6 args: 9/);
    assert.ok(r.stdout.includes(Object.values(ENV_SECRETS)[0]), 'the terminal shows what the script printed');

    runs = await TrackingStore.open(store, { wasmPath: require.resolve('sql.js/dist/sql-wasm.wasm'), saveDelayMs: 0 });
    const [summary] = runs.listRuns().runs;
    const run = runs.getRun(summary.id)!;
    assert.equal(run.status, 'completed');
    const logged = runs.getRun(summary.id, { logLimit: 1000 })!.logs.map((l) => l.msg).join('\n');
    assert.match(logged, /^env: \*\*\*( \*\*\*){5}$/m, 'printed secrets are logged masked');
    assert.match(logged, /^connecting with \*\*\*$/m);
    assert.match(logged, /^argv: --api-key=\*\*\* --password \*\*\*/m);
    assert.deepEqual(run.argv.slice(1), ['--api-key=***', '--password', '***', 'token=***', 'https://alice:***@example.com/data.csv', '--auth-token', '***', '--lr', '0.1']);
    assert.match(String(run.git?.diff ?? ''), /changes to \.env left out by mlwb/);
    await runs.close(); // writes index.sqlite
    runs = undefined;

    const stored = files(store);
    assert.ok(stored.some(([f]) => f === 'index.sqlite') && stored.some(([f]) => f.startsWith('index.series')) && stored.some(([f]) => f.endsWith('run.json')) && stored.some(([f]) => f.endsWith('events.jsonl')));
    for (const [file, bytes] of stored) assertNoSecret(`store file ${file}`, bytes);
    console.log(`secrets: ${ALL.length} secret values, ${stored.length} store files searched, 0 found`);
  });

  it('the run dashboard’s payload (what the webview receives) holds none of them', async () => {
    runs = await TrackingStore.open(store, { wasmPath: require.resolve('sql.js/dist/sql-wasm.wasm'), saveDelayMs: 60_000 });
    const run = runs.getRun(runs.listRuns().runs[0].id, { logLimit: 1000 })!;
    assertNoSecret('dashboard payload', JSON.stringify(dashboardData(run)));
    assertNoSecret('run detail', JSON.stringify(run));
  });

  it('the extension’s log line for a launch masks secret-looking arguments', () => {
    const { command, args } = runnerInvocation({ script: 'train.py', args: ARGS, cwd: ws, python: PYTHON, env: {} }, '/r', 'pipe', store, {});
    const line = `launch: ${command} ${maskArgv(args).join(' ')}`; // as run-manager.ts logs it
    assertNoSecret('launch log line', line);
    assert.match(line, /--lr 0\.1/);
  });

  it('the extension masks a command line exactly as the runner does (one rule, two languages)', () => {
    const cases = [
      ['train.py', ...ARGS], ['t.py', '--author', 'bob', '--keyfile', '--next'], ['t.py', '=x', 'a b=c', 'API_KEY=', '-k', 'x'],
      ['t.py', 'postgres://u:p@h/db', 'http://h/x?token=1', '--Secret', 'v', '--token', '--lr', '1'], ['--password', 'first-is-the-program'],
    ];
    const r = spawnSync(PYTHON, ['-c', 'import json,sys; from mlwb._secrets import mask_argv; print(json.dumps([mask_argv(a) for a in json.loads(sys.argv[1])]))', JSON.stringify(cases)], {
      env: { ...process.env, PYTHONPATH: path.join(repo, 'python-runner') }, encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(cases.map(maskArgv), JSON.parse(r.stdout));
  });

  it('`python -m mlwb info` (system info) holds no environment value', () => {
    const r = spawnSync(PYTHON, ['-m', 'mlwb', 'info'], { env: { ...process.env, ...ENV_SECRETS, ...DOTENV_SECRETS, PYTHONPATH: path.join(repo, 'python-runner') }, encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 0, r.stderr);
    assertNoSecret('mlwb info', r.stdout + r.stderr);
  });
});
