import type { MessageConnection } from 'vscode-jsonrpc/node';
import { responseError } from '../runner/rpc-channel';
import { PROTOCOL_VERSION, type FeatureEvent, type HandshakeParams, type HandshakeResult, type ServeStoppedParams } from '../runner/protocol';
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

/** Answers the handshake and routes the serve/predict messages, validated; then listens. */
export function linkRunner(c: MessageConnection, h: LinkHandlers): void {
  c.onRequest('runner/handshake', (p: unknown): HandshakeResult => {
    if (!isRecord(p) || typeof p.protocol !== 'number' || typeof p.pid !== 'number') throw responseError(-32602, 'handshake needs protocol and pid');
    if (p.protocol !== PROTOCOL_VERSION) {
      return { protocol: PROTOCOL_VERSION, accepted: false, reason: `protocol ${p.protocol} is not ${PROTOCOL_VERSION}: update the extension or python-runner` };
    }
    h.handshake?.(p as unknown as HandshakeParams);
    return { protocol: PROTOCOL_VERSION, accepted: true };
  });
  c.onNotification('serve/ready', (p: unknown) => {
    const ready = readyOf(p);
    if (ready) h.ready?.(ready);
    else h.warn(`runner sent a malformed serve/ready: ${JSON.stringify(p)?.slice(0, 200)}`);
  });
  c.onRequest('serve/stopped', (p: unknown) => {
    if (!isRecord(p) || typeof p.exitCode !== 'number') throw responseError(-32602, 'serve/stopped needs exitCode');
    h.stopped?.(p as unknown as ServeStoppedParams);
    return null;
  });
  c.onNotification('run/event', (p: unknown) => {
    if (!isRecord(p) || typeof p.runId !== 'string' || !isRecord(p.event) || typeof p.event.kind !== 'string') {
      h.warn(`runner sent a malformed run/event: ${JSON.stringify(p)?.slice(0, 200)}`);
      return;
    }
    h.event?.(p.runId, p.event as unknown as FeatureEvent);
  });
  c.onUnhandledNotification((n) => h.warn(`runner sent an unknown notification ${n.method}`));
  c.listen();
}
