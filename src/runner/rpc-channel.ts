import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { PIPE_ENV, PROTOCOL_VERSION, SECRET_ENV, type HandshakeParams, type HandshakeResult } from './protocol';

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
  /** Random per session, given to the child in its environment; a handshake without it is refused. */
  secret: string;
  /** Resolves when the runner connects; rejects after the timeout (the runner never came). */
  connected: Promise<MessageConnection>;
  /** Disposes the connection (rejecting pending requests, as a killed runner leaves them) and the pipe. */
  close(): void;
}

export async function openRunnerChannel(connectTimeoutMs: number): Promise<RunnerChannel> {
  const { createClientPipeTransport, createMessageConnection } = jsonrpc();
  const pipeName = pipeNameFor();
  const secret = randomBytes(32).toString('base64url');
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
    secret,
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

/** The child's environment entries for a channel: the pipe's name and the session's secret. */
export function channelEnv(channel: Pick<RunnerChannel, 'pipeName' | 'secret'> | undefined): Record<string, string> {
  return channel ? { [PIPE_ENV]: channel.pipeName, [SECRET_ENV]: channel.secret } : {};
}

/**
 * The one handshake check of both endpoints (runs, and the serve/predict link): the params' shape (else a
 * -32602 error), the session's secret (else refused: the first process to reach a pipe is not trusted for
 * being first) and the protocol version. `params` only when accepted.
 */
export function answerHandshake(p: unknown, secret: string): { result: HandshakeResult; params?: HandshakeParams } {
  const params = p as HandshakeParams;
  if (typeof p !== 'object' || p === null || typeof params.protocol !== 'number' || typeof params.pid !== 'number') {
    throw responseError(-32602, 'handshake needs protocol and pid');
  }
  if (!sameSecret(params.secret, secret)) {
    return {
      result: {
        protocol: PROTOCOL_VERSION, accepted: false,
        reason: `refused: the handshake ${typeof params.secret === 'string' ? 'presented a wrong' : 'did not present the'} session secret (${SECRET_ENV}); only the process VS Code started may connect`,
      },
    };
  }
  if (params.protocol !== PROTOCOL_VERSION) {
    return { result: { protocol: PROTOCOL_VERSION, accepted: false, reason: `protocol ${params.protocol} is not ${PROTOCOL_VERSION}: update the extension or python-runner` } };
  }
  return { result: { protocol: PROTOCOL_VERSION, accepted: true }, params };
}

function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
