import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkProfile, parseProfiles } from '../../../src/slurm/profiles';
import { outputFile, outputPattern, sbatchScript, shellQuote, type SbatchPlan } from '../../../src/slurm/sbatch-script';

/** Arguments a shell would mangle if a single one were left unquoted. */
const NASTY = ['plain', 'two words', "it's", '"dq"', '$HOME', '`id`', '$(id)', 'a;b', '*', '', '--lr=0.1', 'ünï ✓', 'back\\slash', "'", '!x', '-n', '~'];

describe('sbatch script generator', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlwb sbatch 'q' $x "))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A real `python -m mlwb` whose mlwb package records what it was given (instead of running anything). */
  function recordingRunner(): string {
    const dir = path.join(tmp, "runner dir's");
    fs.mkdirSync(path.join(dir, 'mlwb'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'mlwb/__main__.py'),
      'import json, os, sys\nprint(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "store": os.environ["MLWB_STORE"], ' +
        '"path": os.environ["PYTHONPATH"], "setup": os.environ.get("FROM_SETUP")}))\n',
    );
    return dir;
  }

  function plan(over: Partial<SbatchPlan> = {}): SbatchPlan {
    const cwd = path.join(tmp, 'work $pace');
    fs.mkdirSync(cwd, { recursive: true });
    return {
      profile: { name: 'cpu', partition: 'debug', cpusPerTask: 2, mem: '1G', time: '0:10:00', extra: ['#SBATCH --qos=normal'], setup: ['export FROM_SETUP=yes'] },
      jobName: 'train file.py',
      storeDir: path.join(tmp, 'store dir/.mlwb'),
      runnerDir: recordingRunner(),
      cwd,
      python: '/usr/bin/python3',
      output: outputPattern(path.join(tmp, 'store dir/.mlwb/runs/r1'), false),
      tasks: [{ runId: 'r1', argv: ['run', '--run-id', 'r1', 'train.py', ...NASTY] }],
      ...over,
    };
  }

  /** Runs the script with bash as Slurm would (the #SBATCH lines are comments to bash). */
  function execute(script: string, env: Record<string, string> = {}): Record<string, unknown> {
    const file = path.join(tmp, 'job.sbatch');
    fs.writeFileSync(file, script);
    const r = spawnSync('/bin/bash', [file], { env: { PATH: process.env.PATH, PYTHONPATH: '/elsewhere', ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  it('passes every argument to the runner exactly, whatever the shell would make of it', () => {
    const p = plan();
    const got = execute(sbatchScript(p));
    assert.deepEqual(got.argv, ['run', '--run-id', 'r1', 'train.py', ...NASTY]);
    assert.equal(got.cwd, p.cwd);
    assert.equal(got.store, p.storeDir);
    assert.equal(got.path, `${p.runnerDir}:/elsewhere`, 'the bundled runner first, the job’s PYTHONPATH kept');
    assert.equal(got.setup, 'yes', 'setup lines run before the runner');
  });

  it('writes the profile as #SBATCH lines before any command, the output path quoted for sbatch', () => {
    const text = sbatchScript(plan({ profile: { name: 'gpu', partition: 'gpu,short', gpus: 2, cpusPerTask: 8, mem: '16G', time: '1-00:00:00', extra: ['#SBATCH --qos=high'] } }));
    const directives = text.split('\n').filter((l) => l.startsWith('#SBATCH'));
    assert.deepEqual(directives, [
      '#SBATCH --job-name=train_file.py',
      `#SBATCH --output="${path.join(tmp, 'store dir/.mlwb/runs/r1/slurm-%j.out')}"`,
      '#SBATCH --partition=gpu,short',
      '#SBATCH --gres=gpu:2',
      '#SBATCH --cpus-per-task=8',
      '#SBATCH --mem=16G',
      '#SBATCH --time=1-00:00:00',
      '#SBATCH --qos=high',
    ]);
    const lines = text.split('\n');
    const lastDirective = lines.map((l) => l.startsWith('#SBATCH')).lastIndexOf(true);
    const firstCommand = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
    assert.ok(lastDirective < firstCommand, 'sbatch stops reading directives at the first command');
    assert.ok(!text.includes('--array'));
  });

  it('maps each array task to its own run and arguments', () => {
    const tasks = [0, 1, 2].map((i) => ({ runId: `r${i}`, argv: ['run', '--run-id', `r${i}`, 'train.py', '--lr', `0.${i} x`] }));
    const text = sbatchScript(plan({ tasks, output: outputPattern(path.join(tmp, 'runs/r0'), true) }));
    assert.match(text, /^#SBATCH --array=0-2$/m);
    for (const i of [0, 1, 2]) {
      assert.deepEqual(execute(text, { SLURM_ARRAY_TASK_ID: String(i) }).argv, tasks[i].argv);
    }
    const file = path.join(tmp, 'job.sbatch');
    assert.notEqual(spawnSync('/bin/bash', [file], { env: { PATH: process.env.PATH, SLURM_ARRAY_TASK_ID: '3' } }).status, 0, 'an unknown task fails');
  });

  it('refuses newlines (they would end a directive or a command early) and unsayable output paths', () => {
    assert.throws(() => sbatchScript(plan({ tasks: [{ runId: 'r1', argv: ['run', 'a\nb'] }] })), /single line/);
    assert.throws(() => sbatchScript(plan({ python: '/usr/bin/python3\nrm -rf /' })), /single line/);
    assert.throws(() => sbatchScript(plan({ cwd: '/tmp/x\r' })), /single line/);
    assert.throws(() => sbatchScript(plan({ output: '/tmp/a"b/slurm-%j.out' })), /double quote/);
    assert.throws(() => sbatchScript(plan({ output: '/tmp/100%/slurm-%j.out' })), /"%"/);
    assert.throws(() => sbatchScript(plan({ tasks: [] })), /at least one run/);
  });

  it('fills in sbatch output patterns the way Slurm names the files', () => {
    assert.equal(outputFile('/s/runs/a/slurm-%j.out', '12'), '/s/runs/a/slurm-12.out');
    assert.equal(outputFile('/s/runs/a/slurm-%A_%a.out', '12', 2), '/s/runs/a/slurm-12_2.out');
  });

  it('quotes only what needs quoting', () => {
    assert.equal(shellQuote('train.py'), 'train.py');
    assert.equal(shellQuote('--lr=0.1'), '--lr=0.1');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote(''), "''");
    assert.throws(() => shellQuote('a\0b'), /NUL/);
  });
});

describe('Slurm profiles (setting)', () => {
  it('checks every field and keeps the good profiles', () => {
    const { profiles, problems } = parseProfiles([
      { name: 'gpu', partition: 'gpu', gpus: 1, cpusPerTask: 4, mem: '8G', time: '2:00:00', extra: ['--qos=high', '#SBATCH --exclusive'], python: '~/venv/bin/python', setup: ['module load cuda'] },
      { name: 'bad-newline', partition: 'gpu\n#SBATCH --uid=0' },
      { name: 'bad-gpus', gpus: 1.5 },
      { name: 'bad-mem', mem: 'lots' },
      { name: 'bad-extra', extra: ['rm -rf /'] },
      { partition: 'x' },
      { name: 'gpu' },
      'nope',
    ]);
    assert.deepEqual(profiles, [
      { name: 'gpu', partition: 'gpu', gpus: 1, cpusPerTask: 4, mem: '8G', time: '2:00:00', extra: ['#SBATCH --qos=high', '#SBATCH --exclusive'], python: '~/venv/bin/python', setup: ['module load cuda'] },
    ]);
    assert.equal(problems.length, 7);
    assert.match(problems[0], /\[1\]: partition must be a single line/);
    assert.match(problems[1], /\[2\]: gpus must be a whole number/);
    assert.match(problems[2], /\[3\]: mem must be a size/);
    assert.match(problems[3], /\[4\]: extra: "rm -rf \/" is not an sbatch option/);
    assert.match(problems[4], /\[5\]: a profile needs a "name"/);
    assert.match(problems[5], /\[6\]: a second profile is named "gpu"/);
    assert.match(problems[6], /\[7\]: a profile is an object/);
  });

  it('offers the cluster defaults when no profile is configured', () => {
    assert.deepEqual(parseProfiles(undefined), { profiles: [{ name: 'default' }], problems: [] });
    assert.deepEqual(parseProfiles([]).profiles, [{ name: 'default' }]);
    assert.match(parseProfiles({ name: 'x' }).problems[0], /must be an array/);
    assert.throws(() => checkProfile({ name: 'x', setup: ['ok', 'two\nlines'] }), /setup\[1\] must be a single line/);
    assert.throws(() => checkProfile({ name: 'x', time: '2 hours' }), /time must be a time limit/);
  });
});
