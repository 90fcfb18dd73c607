// Guarantee: the extension and the runner agree on what is loopback (no token needed): one table of cases,
// python-runner/tests/data/serve/loopback-cases.json, run here and by python-runner/tests/test_serve_host.py.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopback } from '../../../src/serving/serve-process';

const CASES = JSON.parse(readFileSync(join(__dirname, '../../../../python-runner/tests/data/serve/loopback-cases.json'), 'utf8')) as {
  isLoopback: [string, boolean][];
};

describe('serving: loopback rule (shared table with the runner)', () => {
  it('has cases both ways', () => {
    assert.ok(CASES.isLoopback.some(([, v]) => v) && CASES.isLoopback.some(([, v]) => !v));
  });
  for (const [host, expected] of CASES.isLoopback) {
    it(`${JSON.stringify(host)} is ${expected ? '' : 'not '}loopback`, () => assert.equal(isLoopback(host), expected));
  }
});
