// The ui layer: mocha in Node driving a real workbench (code-server + Chromium, started by workbench.ts).
// MLWB_TEST_GREP=<text> runs the journeys or tests whose full title has it; MLWB_TEST_SHUFFLE=<seed> runs the
// files in an order shuffled by that seed (printed); MLWB_TEST_RESULTS=<file> also writes each test's outcome
// there as JSON (npm run test:soak). Needs the build: node esbuild.mjs --tests.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const out = join(__dirname, '../../out/test');
const { orderFiles } = require(join(out, 'shared/order.js'));
const specs = (dir) => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? specs(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : []));

module.exports = {
  spec: orderFiles(specs(join(out, 'ui')), 'ui'),
  require: [join(out, 'ui/workbench.js')],
  sort: false,
  timeout: 120000,
  reporter: join(out, 'shared/results-reporter.js'),
  'enable-source-maps': true,
  ...(process.env.MLWB_TEST_GREP ? { grep: process.env.MLWB_TEST_GREP } : {}),
};
