// Tests entry for a real VS Code extension host: code-server here (test/harness/run-vscode-tests.mjs),
// desktop VS Code through @vscode/test-electron elsewhere (npm run test:electron). Same contract: run().
// MLWB_TEST_GREP=<text> runs the tests whose full title has it; MLWB_TEST_SHUFFLE=<seed> shuffles the files
// (test/shared/order.ts). Every file's suites start from resetWorkbench(), whatever ran before them, and a
// failing test prints what the workbench held (describeWorkbench()).
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { orderFiles } from '../shared/order';
import SpecWithResults from '../shared/results-reporter';
import { describeWorkbench, resetWorkbench } from './helpers';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 120_000,
    reporter: SpecWithResults,
    rootHooks: {
      async afterEach(this: Mocha.Context) {
        if (this.currentTest?.state === 'failed') console.log(await describeWorkbench());
      },
    },
  });
  const grep = process.env.MLWB_TEST_GREP;
  if (grep) mocha.grep(grep);
  // A top-level suite's first hook, registered as the suite is created (before its own `before` hooks).
  mocha.suite.on(Mocha.Suite.constants.EVENT_SUITE_ADD_SUITE, (suite: Mocha.Suite) => {
    suite.beforeAll('start from a known workbench', async function () {
      this.timeout(60_000);
      await resetWorkbench();
    });
  });
  for (const file of orderFiles(testFiles(__dirname), 'vscode')) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} vscode test(s) failed`)) : resolve()));
  });
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : []));
}
