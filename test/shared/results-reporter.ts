// mocha's spec reporter that also writes every test's outcome to the JSON file named by $MLWB_TEST_RESULTS
// (npm run test:soak counts them per test). A failing hook counts as a failure of the hook, named after its
// suite: the tests it kept from running are not counted at all.
import Mocha from 'mocha';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One test's outcome, as the results file lists them in the order they ran. */
interface TestResult {
  title: string;
  file?: string;
  state: 'passed' | 'failed' | 'pending';
  ms?: number;
  error?: string;
}

class SpecWithResults extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const file = process.env.MLWB_TEST_RESULTS;
    if (!file) return;
    const results: TestResult[] = [];
    const add = (t: Mocha.Runnable, state: TestResult['state'], err?: Error) =>
      results.push({ title: t.fullTitle(), file: t.file, state, ms: t.duration, error: err && String(err.message ?? err).slice(0, 2000) });
    runner.on('pass', (t) => add(t, 'passed'));
    runner.on('fail', (t, err) => add(t, 'failed', err));
    runner.on('pending', (t) => add(t, 'pending'));
    runner.once('end', () => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(results, null, 1));
    });
  }
}

export = SpecWithResults;
