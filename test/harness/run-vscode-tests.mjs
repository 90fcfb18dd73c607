// The vscode layer: mocha inside a real VS Code extension host (code-server), driven through the
// workbench's automation hooks. Test output and the suite's exit code come back through
// codeAutomationLog / codeAutomationExit (the server log's "exited with 0" cannot be trusted).
import { join } from 'node:path';
import { format } from 'node:util';
import { repoRoot } from './code-server.mjs';
import { testClusterEnv } from './slurm-cluster.mjs';
import { openWorkbench, scratchWorkspace } from './workbench-session.mjs';

const TIMEOUT_MS = 15 * 60_000;
const workspace = scratchWorkspace();
const session = await openWorkbench({
  workspace,
  testsPath: join(repoRoot, 'out/test/vscode/index.js'),
  // The filter, the shuffle seed and the results file (npm run test:soak) reach mocha in the extension host.
  env: {
    MLWB_TEST_WORKSPACE: workspace,
    ...Object.fromEntries(['MLWB_TEST_GREP', 'MLWB_TEST_SHUFFLE', 'MLWB_TEST_RESULTS'].map((k) => [k, process.env[k] ?? ''])),
    ...(await slurmEnv(process.env.MLWB_TEST_GREP)),
  },
});

/** The Slurm tests need the test cluster up before code-server starts: its SLURM_CONF must reach the extension host. */
async function slurmEnv(grep) {
  return grep && !/slurm/i.test(grep) ? {} : testClusterEnv();
}

let exitCode;
try {
  exitCode = await new Promise(async (resolve) => {
    const timer = setTimeout(() => {
      console.error(`vscode tests: no result after ${TIMEOUT_MS / 60000} min`);
      resolve(1);
    }, TIMEOUT_MS);
    await session.page.exposeFunction('codeAutomationLog', (_type, args) => {
      // The extension host forwards console calls printf-style: the first argument is the format.
      const line = format(...(Array.isArray(args) ? args : [args]));
      process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
    });
    await session.page.exposeFunction('codeAutomationExit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    await session.page.goto(session.url);
  });
} finally {
  await session.close();
}
if (exitCode !== 0) console.error(`vscode tests failed (exit ${exitCode}); code-server log: ${session.server.logFile}`);
process.exit(exitCode);
