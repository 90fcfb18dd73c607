import type { MessageConnection } from 'vscode-jsonrpc/node';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

/**
 * vscode-jsonrpc, loaded when the first channel opens rather than at activation (a `require` here is
 * still bundled; esbuild evaluates the CommonJS library on this first call).
 */
export function jsonrpc(): typeof import('vscode-jsonrpc/node') {
  return require('vscode-jsonrpc/node') as typeof import('vscode-jsonrpc/node');
}

/** The JSON-RPC error a request handler throws to answer with `code` (e.g. -32602 for bad params). */
export function responseError(code: number, message: string): Error {
  return new (jsonrpc().ResponseError)(code, message);
}

/** Unix socket paths longer than this are truncated by Node and refused by Python. */
const MAX_SOCKET_PATH = 100;

/** A pipe the runner connects to: listening before the process starts, given to it by name. */
export interface RunnerChannel {
  pipeName: string;
  /** Resolves when the runner connects; rejects after the timeout (the runner never came). */
  connected: Promise<MessageConnection>;
  /** Disposes the connection (rejecting pending requests, as a killed runner leaves them) and the pipe. */
  close(): void;
}

export async function openRunnerChannel(connectTimeoutMs: number): Promise<RunnerChannel> {
  const { createClientPipeTransport, createMessageConnection } = jsonrpc();
  const pipeName = pipeNameFor();
  const transport = await createClientPipeTransport(pipeName);
  let timer: NodeJS.Timeout | undefined;
  let connection: MessageConnection | undefined;
  const connected = new Promise<MessageConnection>((resolve, reject) => {
    // onConnected() waits forever if nobody comes: bound it.
    timer = setTimeout(() => {
      reject(new Error(`the Python runner did not connect within ${Math.round(connectTimeoutMs / 1000)} s`));
      transport.close();
    }, connectTimeoutMs);
    transport.onConnected().then(([reader, writer]) => {
      clearTimeout(timer);
      connection = createMessageConnection(reader, writer);
      resolve(connection);
    }, reject);
  });
  connected.catch(() => undefined);
  return {
    pipeName,
    connected,
    close() {
      clearTimeout(timer);
      connection?.dispose();
      transport.close();
    },
  };
}

/**
 * generateRandomPipeName() prefers XDG_RUNTIME_DIR (throws if it does not exist) and fails quietly
 * when TMPDIR is long; fall back to a short directory we own.
 */
function pipeNameFor(): string {
  const { generateRandomPipeName } = jsonrpc();
  if (process.platform === 'win32') return generateRandomPipeName();
  try {
    const name = generateRandomPipeName();
    if (name.length <= MAX_SOCKET_PATH) return name;
  } catch {
    // XDG_RUNTIME_DIR is set but missing: use our own directory below.
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir().length < 60 ? os.tmpdir() : '/tmp', 'mlwb-'));
  const name = path.join(dir, 'r.sock');
  if (name.length > MAX_SOCKET_PATH) throw new Error(`no short enough directory for a pipe (${name})`);
  return name;
}
