import * as assert from 'node:assert/strict';
import { endNotice } from '../../../src/slurm/run-end-notice';

const job = (state: string) => ({ scheduler: 'slurm' as const, id: '42', state });

describe('the notification for a Slurm run’s end (worded like a local run’s)', () => {
  it('completed: info, with its duration and job, and Open Run', () => {
    assert.deepEqual(endNotice({ name: 'train-abc123', status: 'completed', duration: 12.345, job: job('COMPLETED') }, []), {
      severity: 'info', message: 'Slurm run train-abc123 completed in 12.3 s (job 42).', actions: ['Open Run'],
    });
    assert.equal(endNotice({ name: 'r', status: 'completed', job: job('COMPLETED') }, []).message, 'Slurm run r completed (job 42).', 'no duration known');
  });

  it('cancelled by the user (in the queue or running): info, nothing to act on', () => {
    for (const status of ['cancelled'] as const) {
      assert.deepEqual(endNotice({ name: 'r', status, job: job('CANCELLED'), error: 'terminated by SIGTERM' }, ['mlwb: terminated']), {
        severity: 'info', message: 'Slurm run r was cancelled (job 42).', actions: [],
      });
    }
  });

  it('failed: error with the error and the last error lines (not repeating it), Show Job Output / Open Run / Rerun', () => {
    const lines = ['Traceback (most recent call last):', '  File "raises.py", line 5, in <module>', '  File "raises.py", line 2, in load', 'ValueError: bad data in row 7'];
    const n = endNotice({ name: 'raises-1', status: 'failed', job: job('FAILED'), error: 'ValueError: bad data in row 7' }, lines);
    assert.equal(n.severity, 'error');
    assert.equal(n.message, 'Slurm run raises-1 failed (job 42 FAILED): ValueError: bad data in row 7 — Traceback (most recent call last): —   File "raises.py", line 5, in <module> —   File "raises.py", line 2, in load');
    assert.deepEqual(n.actions, ['Show Job Output', 'Open Run', 'Rerun']);
  });

  it('a time limit the runner took for a cancel is an error naming Slurm’s state', () => {
    const n = endNotice({ name: 'long', status: 'cancelled', job: job('TIMEOUT'), error: 'terminated by SIGTERM' }, []);
    assert.equal(n.severity, 'error');
    assert.equal(n.message, 'Slurm run long cancelled (job 42 TIMEOUT): terminated by SIGTERM');
  });

  it('ended by the extension (out of memory, no output): the state and the error; a long detail is cut at 500 characters', () => {
    assert.equal(endNotice({ name: 'big', status: 'failed', job: job('OUT_OF_MEMORY'), error: 'Slurm: OUT_OF_MEMORY' }, []).message, 'Slurm run big failed (job 42 OUT_OF_MEMORY): Slurm: OUT_OF_MEMORY');
    assert.equal(endNotice({ name: 'x', status: 'failed' }, []).message, 'Slurm run x failed (its job).');
    const long = endNotice({ name: 'x', status: 'failed', job: job('FAILED'), error: 'E'.repeat(2000) }, ['blank lines are skipped', '  ']);
    assert.equal(long.message, `Slurm run x failed (job 42 FAILED): ${'E'.repeat(500)}`);
  });
});
