import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  endOfRun, expandJobId, isAccountingDisabled, isFinalState, isInvalidJobId, parseSacct, parseSbatchParsable, parseScontrolJobs, parseSqueue,
} from '../../../src/slurm/slurm-parsers';
import { gridArgs, sweepArgs } from '../../../src/slurm/sweep';

const FIXTURES = path.join(__dirname, '../../../../test/unit/slurm/fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('Slurm output parsers (outputs recorded from a real cluster)', () => {
  it('squeue -r: one entry per array task, pending reason and node', () => {
    const jobs = parseSqueue(fixture('squeue-array-mixed.txt'));
    assert.deepEqual(Object.fromEntries(jobs), {
      '7_2': { state: 'PENDING', reason: 'Resources' },
      '7_3': { state: 'PENDING', reason: 'Resources' },
      '7_1': { state: 'RUNNING', reason: 'None', node: 'vm' },
      '7_0': { state: 'RUNNING', reason: 'None', node: 'vm' },
    });
  });

  it('squeue without -r: a collapsed pending range is expanded to its tasks', () => {
    const jobs = parseSqueue(fixture('squeue-array-collapsed.txt'));
    assert.deepEqual([...jobs.keys()].sort(), ['7_0', '7_1', '7_2', '7_3']);
    assert.equal(jobs.get('7_3')?.state, 'PENDING');
  });

  it('scontrol show job -o: array tasks by ArrayJobId_ArrayTaskId, final states, exit codes', () => {
    const done = parseScontrolJobs(fixture('scontrol-array-completed.txt'));
    assert.deepEqual([...done.keys()].sort(), ['2_0', '2_1', '2_2']);
    assert.deepEqual(done.get('2_1'), { state: 'COMPLETED', reason: 'None', node: 'vm', exitCode: '0:0' });
    const failed = parseScontrolJobs(fixture('scontrol-failed.txt'));
    assert.deepEqual(Object.fromEntries(failed), { '6': { state: 'FAILED', reason: 'NonZeroExitCode', node: 'vm', exitCode: '3:0' } });
    const cancelled = parseScontrolJobs(fixture('scontrol-cancelled-pending.txt'));
    assert.equal(cancelled.get('5')?.state, 'CANCELLED');
    assert.equal(cancelled.get('5')?.node, undefined, 'never ran: no node');
    const mixed = parseScontrolJobs(fixture('scontrol-array-mixed.txt'));
    assert.deepEqual([...mixed.keys()].sort(), ['7_0', '7_1', '7_2', '7_3'], 'the pending remainder "2-3" is expanded');
  });

  it('sacct -P -X: first word of the state, array ranges, exit codes', () => {
    const jobs = parseSacct(fixture('sacct-documented.txt'));
    assert.deepEqual(jobs.get('1235_1'), { state: 'CANCELLED', exitCode: '0:15' });
    assert.equal(jobs.get('1235_3')?.state, 'PENDING');
    assert.equal(jobs.get('1236')?.state, 'OUT_OF_MEMORY');
    assert.equal(jobs.size, 7);
  });

  it('tells the failures that only mean "not known" or "no accounting" from real ones', () => {
    assert.ok(isInvalidJobId(fixture('squeue-invalid.stderr.txt')));
    assert.ok(isAccountingDisabled(fixture('sacct-disabled.stderr.txt')));
    assert.ok(!isInvalidJobId('slurm_load_jobs error: Unable to contact slurm controller (connect failure)'));
  });

  it('sbatch --parsable: the id, with or without a cluster name; anything else is an error', () => {
    assert.equal(parseSbatchParsable('1234\n'), '1234');
    assert.equal(parseSbatchParsable('1234;cluster1\n'), '1234');
    assert.throws(() => parseSbatchParsable('sbatch: error: Batch job submission failed'), /no job id/);
  });

  it('expands job id ranges, with steps lists and a throttle', () => {
    assert.deepEqual(expandJobId('7_[0-2,5%2]'), ['7_0', '7_1', '7_2', '7_5']);
    assert.deepEqual(expandJobId('7_4'), ['7_4']);
    assert.deepEqual(expandJobId('7'), ['7']);
  });

  it('knows which states are over and how they end a run that never said', () => {
    for (const s of ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED']) assert.ok(isFinalState(s), s);
    for (const s of ['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED']) assert.ok(!isFinalState(s), s);
    assert.deepEqual(endOfRun('CANCELLED'), { status: 'cancelled', error: 'Slurm: CANCELLED' });
    assert.deepEqual(endOfRun('TIMEOUT'), { status: 'failed', error: 'Slurm: TIMEOUT' });
  });
});

describe('sweeps', () => {
  it('a grid: every combination, the first parameter slowest, quoted commas kept', () => {
    assert.deepEqual(gridArgs('--lr 0.1,0.01 --depth 3,5'), [
      ['--lr', '0.1', '--depth', '3'], ['--lr', '0.1', '--depth', '5'], ['--lr', '0.01', '--depth', '3'], ['--lr', '0.01', '--depth', '5'],
    ]);
    assert.deepEqual(gridArgs(`--layers "64,32" --name 'a b'`), [['--layers', '64,32', '--name', 'a b']]);
    assert.deepEqual(gridArgs('--opt=adam,sgd'), [['--opt=adam'], ['--opt=sgd']]);
    assert.throws(() => gridArgs('--lr 0.1,,0.2'), /empty value/);
    assert.throws(() => gridArgs('--lr "0.1'), /unclosed/);
  });

  it('argument lines: one run per line, comments and blank lines skipped', () => {
    assert.deepEqual(sweepArgs('--lr 0.1\n\n# baseline\n--lr 0.01 --note "x,y"\n'), [['--lr', '0.1'], ['--lr', '0.01', '--note', 'x,y']]);
    assert.throws(() => sweepArgs('  \n# only a comment'), /needs arguments/);
  });
});
