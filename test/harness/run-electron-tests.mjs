// The same vscode-layer suite in desktop VS Code, through @vscode/test-electron. It downloads
// VS Code, so it needs the internet (these machines have none: there, use `npm run test:vscode`).
import { runTests } from '@vscode/test-electron';
import { join } from 'node:path';
import { repoRoot } from './code-server.mjs';
import { scratchWorkspace } from './workbench-session.mjs';

const workspace = scratchWorkspace();
try {
  await runTests({
    version: process.env.MLWB_VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'out/test/vscode/index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    extensionTestsEnv: { MLWB_TEST_GREP: process.env.MLWB_TEST_GREP ?? '' },
  });
} catch (err) {
  console.error(`desktop VS Code tests failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
