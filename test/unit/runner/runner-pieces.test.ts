import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDotenv } from '../../../src/runner/dotenv';
import { parseNvidiaSmi, queryGpus } from '../../../src/runner/gpus';
import { notebookParams, quoteArgs, runnerInvocation, splitArgs, terminalName } from '../../../src/runner/launch-spec';
import { installCommand, probePython } from '../../../src/runner/python-probe';

// No GPU on these machines: nvidia-smi output is a recorded sample (a stand-in, as its name says).
const FIXTURES = path.join(__dirname, '../../../../test/unit/runner/fixtures');

describe('GPU discovery (nvidia-smi)', () => {
  it('parses the CSV query output, [N/A] fields included', () => {
    const gpus = parseNvidiaSmi(fs.readFileSync(path.join(FIXTURES, 'nvidia-smi-recorded-standin.csv'), 'utf8'));
    assert.equal(gpus.length, 3);
    assert.deepEqual(gpus[1], { index: 1, name: 'NVIDIA A100-SXM4-40GB', memoryTotalMiB: 40960, memoryUsedMiB: 39000, utilizationPct: 99, temperatureC: 71 });
    assert.deepEqual(gpus[2], { index: 2, name: 'Tesla T4', memoryTotalMiB: 15360, memoryUsedMiB: 0, utilizationPct: 0, temperatureC: undefined });
  });

  it('says why there is no GPU when nvidia-smi is missing', async () => {
    const r = await queryGpus('/nonexistent/nvidia-smi');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /not found/);
  });

  it('reads a stand-in nvidia-smi executable end to end', async () => {
    const standin = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-smi-')), 'nvidia-smi-standin');
    fs.writeFileSync(standin, `#!/bin/sh\ncat '${path.join(FIXTURES, 'nvidia-smi-recorded-standin.csv')}'\n`, { mode: 0o755 });
    const r = await queryGpus(standin);
    assert.ok(r.ok && r.gpus.map((g) => g.index).join() === '0,1,2');
  });
});

describe('.env files', () => {
  it('reads the usual forms, quotes and ${VAR} expansion', () => {
    const env = parseDotenv(
      ['# comment', 'A=1', 'export B = two words ', "C='${A} literal'", 'D="line\\nnext \\"q\\" ${A}"', 'E=${HOME_X}/x # trailing', 'not a line', 'F='].join('\n'),
      { HOME_X: '/home/u' },
    );
    assert.deepEqual(env, { A: '1', B: 'two words', C: '${A} literal', D: 'line\nnext "q" 1', E: '/home/u/x', F: '' });
  });
});

describe('launch specs', () => {
  const spec = { script: '/w/train.py', args: ['--lr', '0.1'], cwd: '/w', python: '/usr/bin/python3', env: { PYTHONPATH: '/extra', SECRET_TOKEN: 'x' } };

  it('names the terminal after the script and the GPUs', () => {
    assert.equal(terminalName(spec), 'mlwb: train.py');
    assert.equal(terminalName({ ...spec, gpus: [0, 2] }), 'mlwb: train.py [GPU 0,2]');
    assert.equal(terminalName({ ...spec, gpus: [] }), 'mlwb: train.py [CPU]');
  });

  it('runs python -m mlwb run with the runner first on PYTHONPATH, the pipe, the store and the GPUs', () => {
    const inv = runnerInvocation({ ...spec, gpus: [1] }, '/ext/python-runner', '/tmp/p.sock', '/w/.mlwb', {});
    assert.equal(inv.command, '/usr/bin/python3');
    assert.deepEqual(inv.args, ['-m', 'mlwb', 'run', '/w/train.py', '--lr', '0.1']);
    assert.equal(inv.env.PYTHONPATH, ['/ext/python-runner', '/extra'].join(path.delimiter));
    assert.equal(inv.env.MLWB_RPC_PIPE, '/tmp/p.sock');
    assert.equal(inv.env.MLWB_STORE, '/w/.mlwb');
    assert.equal(inv.env.CUDA_VISIBLE_DEVICES, '1');
    assert.equal(runnerInvocation({ ...spec, gpus: [] }, '/r', '/p', '/s', {}).env.CUDA_VISIBLE_DEVICES, '', 'CPU only hides every GPU');
    assert.equal('CUDA_VISIBLE_DEVICES' in runnerInvocation(spec, '/r', '/p', '/s', {}).env, false);
  });

  it('runs a notebook as `mlwb run NB.ipynb --param ...`: script-style arguments become its parameters', () => {
    const inv = runnerInvocation({ ...spec, script: '/w/analysis.ipynb', args: ['--lr', '0.1', 'depth=3', '--label=tuned', '--max-iter', '5', '--verbose'] }, '/r', '/p', '/s', {});
    assert.deepEqual(inv.args, ['-m', 'mlwb', 'run', '/w/analysis.ipynb',
      '--param', 'lr=0.1', '--param', 'depth=3', '--param', 'label=tuned', '--param', 'max_iter=5', '--param', 'verbose=true']);
    assert.equal(terminalName({ ...spec, script: '/w/analysis.ipynb' }), 'mlwb: analysis.ipynb');
    const recorded = notebookParams(['--param', 'lr=0.1', '-p', 'x=[1, 2]', '--param=y=a b']);
    assert.deepEqual(recorded, ['--param', 'lr=0.1', '-p', 'x=[1, 2]', '--param=y=a b'], 'a rerun\'s recorded --params convert to themselves');
    assert.deepEqual(notebookParams(['--lr', '-0.5']), ['--param', 'lr=-0.5'], 'a negative number is a value, not a flag');
    assert.deepEqual(notebookParams(['stray']), ['stray'], 'left for the runner to refuse by name');
    assert.deepEqual(runnerInvocation({ ...spec, args: ['--lr', '0.1'] }, '/r', '/p', '/s', {}).args.slice(3), ['/w/train.py', '--lr', '0.1'], 'a script keeps its arguments');
  });

  it('names the .env file\'s variables in MLWB_SECRET_ENV, so the runner masks their values in captured output', () => {
    assert.equal(runnerInvocation(spec, '/r', '/p', '/s', {}).env.MLWB_SECRET_ENV, 'SECRET_TOKEN', 'PYTHONPATH is no secret');
    const inv = runnerInvocation({ ...spec, env: { DB_URL: 'postgres://x', SEED: '3' } }, '/r', '/p', '/s', {});
    assert.equal(inv.env.MLWB_SECRET_ENV, 'DB_URL,SEED');
    assert.equal(inv.env.DB_URL, 'postgres://x');
    assert.equal('MLWB_SECRET_ENV' in runnerInvocation({ ...spec, env: {} }, '/r', '/p', '/s', {}).env, false);
  });

  it('passes the system metrics interval (mlwb.systemMetricsInterval) to the runner; 0 disables, negative is 0', () => {
    assert.equal(runnerInvocation(spec, '/r', '/p', '/s', {}, { systemMetricsInterval: 2.5 }).env.MLWB_SYSTEM_METRICS_INTERVAL, '2.5');
    assert.equal(runnerInvocation(spec, '/r', '/p', '/s', {}, { systemMetricsInterval: 0 }).env.MLWB_SYSTEM_METRICS_INTERVAL, '0');
    assert.equal(runnerInvocation(spec, '/r', '/p', '/s', {}, { systemMetricsInterval: -1 }).env.MLWB_SYSTEM_METRICS_INTERVAL, '0');
    assert.equal('MLWB_SYSTEM_METRICS_INTERVAL' in runnerInvocation(spec, '/r', '/p', '/s', {}).env, false, 'unset: the runner’s default');
    assert.equal(runnerInvocation(spec, '/r', '/p', '/s', {}, { rpcSecret: 'k3y' }).env.MLWB_RPC_SECRET, 'k3y', 'the session secret goes in the environment');
    assert.ok(!runnerInvocation(spec, '/r', '/p', '/s', {}, { rpcSecret: 'k3y' }).args.includes('k3y'), 'never on the command line');
  });

  it('quotes arguments into one editable line that splits back to the same arguments', () => {
    const cases = [['--lr', '0.1', '--api-key', '***'], ['a b', "it's", '"q"', '', '$HOME', 'x\\y', 'ünï', 'a,b', '--opt=1', '*']];
    for (const args of cases) assert.deepEqual(splitArgs(quoteArgs(args)), args, quoteArgs(args));
    assert.equal(quoteArgs(['--lr', '0.1', '--api-key', '***']), '--lr 0.1 --api-key ***', 'plain words stay plain');
  });

  it('splits argument lines like a shell (quotes, escapes) and rejects an unclosed quote', () => {
    assert.deepEqual(splitArgs(` --name "my run" --tag 'a b' x\\ y "" `), ['--name', 'my run', '--tag', 'a b', 'x y', '']);
    assert.deepEqual(splitArgs(''), []);
    assert.throws(() => splitArgs('--name "oops'), /unclosed/);
  });
});

describe('interpreter probe (real interpreters)', function () {
  this.timeout(30_000);

  it("reports Debian's Python with its ML packages", async () => {
    const r = await probePython('/usr/bin/python3');
    assert.ok(r.ok, !r.ok ? r.reason : '');
    assert.equal(r.info.executable, '/usr/bin/python3');
    assert.match(r.info.packages.sklearn ?? '', /^\d+\./);
  });

  it('gives the exact install command for missing optional packages', () => {
    const cmd = installCommand({ executable: '/opt/py/bin/python', version: '3.11.0', packages: { sklearn: '1.2', torch: null, optuna: null } });
    assert.equal(cmd, '"/opt/py/bin/python" -m pip install torch optuna');
    assert.equal(installCommand({ executable: 'p', version: '3.11.0', packages: { sklearn: '1' } }), undefined);
  });

  it('explains a missing or broken interpreter', async () => {
    const missing = await probePython('/nonexistent/python3');
    assert.ok(!missing.ok && /was not found/.test(missing.reason));
    const notPython = await probePython('/bin/false');
    assert.ok(!notPython.ok && /failed|did not answer/.test(notPython.reason));
  });
});
