import type { MessageConnection } from 'vscode-jsonrpc/node';
import { answerHandshake, responseError } from '../runner/rpc-channel';
import { type FeatureEvent, type HandshakeParams, type HandshakeResult, type ServeStoppedParams } from '../runner/protocol';
import { readyOf, type ServeReady } from './serve-lines';

/** What the long-lived runner commands (`serve`, `predict`) send over the pipe. No `vscode` here. */
export interface LinkHandlers {
  handshake?(p: HandshakeParams): void;
  ready?(p: ServeReady): void;
  stopped?(p: ServeStoppedParams): void;
  event?(runId: string, e: FeatureEvent): void;
  warn(message: string): void;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Answers the handshake (which must present the session's `secret`) and routes the serve/predict messages, validated; then listens. */
export function linkRunner(c: MessageConnection, secret: string, h: LinkHandlers): void {
  let trusted = false;
  let ignored = false;
  const allowed = (method: string): boolean => {
    if (!trusted && !ignored) h.warn(`ignored ${method} from a connection without an accepted handshake`);
    if (!trusted) ignored = true;
    return trusted;
  };
  c.onRequest('runner/handshake', (p: unknown): HandshakeResult => {
    const { result, params } = answerHandshake(p, secret);
    if (!params) {
      h.warn(result.reason ?? 'handshake refused');
      return result;
    }
    trusted = true;
    h.handshake?.(params);
    return result;
  });
  c.onNotification('serve/ready', (p: unknown) => {
    if (!allowed('serve/ready')) return;
    const ready = readyOf(p);
    if (ready) h.ready?.(ready);
    else h.warn(`runner sent a malformed serve/ready: ${JSON.stringify(p)?.slice(0, 200)}`);
  });
  c.onRequest('serve/stopped', (p: unknown) => {
    if (!allowed('serve/stopped')) throw responseError(-32600, 'serve/stopped before an accepted handshake');
    if (!isRecord(p) || typeof p.exitCode !== 'number') throw responseError(-32602, 'serve/stopped needs exitCode');
    h.stopped?.(p as unknown as ServeStoppedParams);
    return null;
  });
  c.onNotification('run/event', (p: unknown) => {
    if (!allowed('run/event')) return;
    if (!isRecord(p) || typeof p.runId !== 'string' || !isRecord(p.event) || typeof p.event.kind !== 'string') {
      h.warn(`runner sent a malformed run/event: ${JSON.stringify(p)?.slice(0, 200)}`);
      return;
    }
    h.event?.(p.runId, p.event as unknown as FeatureEvent);
  });
  c.onUnhandledNotification((n) => h.warn(`runner sent an unknown notification ${n.method}`));
  c.listen();
}
