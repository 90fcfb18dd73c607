// Starts a real VS Code (code-server 4.100.3, from test/code-server) on a free loopback port with a
// fresh profile, and stops it with its whole process group. Used by the vscode and ui test layers,
// the bench and `npm start`. See shared notes/vscode-e2e.md for why each flag is here.
import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
const binary = join(repoRoot, 'test/code-server/node_modules/.bin/code-server');

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/**
 * @param {{ workspace: string, port?: number, env?: Record<string,string>, settings?: object, logFile?: string, extensionsDir?: string, installed?: string[] }} opts
 */
export async function startCodeServer(opts) {
  const port = opts.port ?? (await freePort());
  // Short paths: Unix socket names (JSON-RPC pipes) are capped at 107 bytes.
  const home = mkdtempSync(join(tmpdir(), 'mlwb-cs-'));
  const userData = join(home, 'u');
  const extensions = opts.extensionsDir ?? join(home, 'e');
  for (const d of [join(userData, 'User'), extensions, join(home, 'tmp'), join(home, '.config'), join(home, '.local/share')]) mkdirSync(d, { recursive: true });
  // Extensions already installed (a copy under <publisher>.<name>-<version>, as VS Code lays them out).
  for (const dir of opts.installed ?? []) {
    const { publisher, name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    cpSync(dir, join(extensions, `${publisher}.${name}-${version}`), { recursive: true });
  }
  writeFileSync(
    join(userData, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'update.mode': 'none',
      'telemetry.telemetryLevel': 'off',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'chat.disableAIFeatures': true,
      ...opts.settings,
    }, null, 2),
  );
  const child = spawn(
    binary,
    ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', userData, '--extensions-dir', extensions, opts.workspace],
    {
      detached: true, // its own process group, so stop() reaches the file watchers it leaves behind
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_DATA_HOME: join(home, '.local/share'),
        TMPDIR: join(home, 'tmp'),
        EXTENSIONS_GALLERY: '{"serviceUrl":""}',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logFile = opts.logFile ?? join(home, 'code-server.log');
  const out = createWriteStream(logFile);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${logFile}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (Date.now() >= deadline) throw new Error(`code-server did not answer on ${url} within 60 s; see ${logFile}`);
  return {
    url,
    port,
    home,
    logFile,
    /** The workbench URL; loads `extensions` as development extensions (and the tests at `testsPath`). */
    workbenchUrl({ folder = opts.workspace, extensions = [], testsPath } = {}) {
      const params = new URLSearchParams({ folder });
      const payload = extensions.map((e) => ['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${e}`]);
      if (testsPath) payload.push(['extensionTestsPath', `vscode-remote://127.0.0.1:${port}${testsPath}`]);
      if (payload.length) params.set('payload', JSON.stringify(payload));
      return `${url}/?${params}`;
    },
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      await new Promise((r) => out.end(r));
    },
  };
}

/** Debian's Chromium through playwright-core (which downloads no browser of its own). */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'mlwb-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.MLWB_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}
