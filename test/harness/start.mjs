// `npm start`: a real VS Code (code-server) in the browser with the extension loaded and the
// example workspace open. Prints the URL; Ctrl+C stops everything.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startCodeServer } from './code-server.mjs';
import { testClusterEnv } from './slurm-cluster.mjs';
import { exampleWorkspace } from './workbench-session.mjs';

// A working copy, so what the example writes (.mlwb/, edits) never lands in the repository.
const workspace = join(repoRoot, '.example-workspace');
if (!existsSync(workspace)) {
  cpSync(exampleWorkspace, workspace, { recursive: true });
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  // Debian's interpreter has sklearn; python-runner/ on PYTHONPATH lets `import mlwb` work anywhere.
  writeFileSync(
    join(workspace, '.vscode/settings.json'),
    JSON.stringify({
      'mlwb.pythonPath': '/usr/bin/python3',
      'terminal.integrated.env.linux': { PYTHONPATH: join(repoRoot, 'python-runner') },
      // For Submit to Slurm… against the single-node cluster started below.
      'mlwb.slurm.profiles': [{ name: 'local cluster', cpusPerTask: 1, time: '0:30:00' }],
      'mlwb.slurm.pollSeconds': 2,
    }, null, 2),
  );
}

const port = Number(process.env.MLWB_PORT ?? 8080);
// A single-node Slurm cluster on loopback (the tests' own), so Submit to Slurm… can be tried here.
const slurm = await testClusterEnv();
const server = await startCodeServer({ workspace, port: await portOrFree(port), env: slurm });
const url = server.workbenchUrl({ extensions: [repoRoot] });
const cluster = slurm.SLURM_CONF ? `a single-node cluster on loopback (${slurm.SLURM_CONF}; node test/harness/slurm-cluster.mjs stop)` : `not available: ${slurm.MLWB_SLURM_UNAVAILABLE}`;
console.log(`\nMLOps Workbench is running in VS Code (code-server ${'4.100.3'}).\n\n  Open: ${url}\n\nWorkspace: ${workspace}\nSlurm: ${cluster}\nLog: ${server.logFile}\nCtrl+C to stop.`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

async function portOrFree(wanted) {
  const { createServer } = await import('node:net');
  const free = await new Promise((res) => {
    const s = createServer().once('error', () => res(false)).listen(wanted, '127.0.0.1', () => s.close(() => res(true)));
  });
  if (free) return wanted;
  const { freePort } = await import('./code-server.mjs');
  return freePort();
}
