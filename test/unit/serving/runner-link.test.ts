// Guarantee: the serve/predict link accepts only a handshake that presents the session's secret; what an
// unaccepted connection sends is ignored (and said in the log).
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { openRunnerChannel } from '../../../src/runner/rpc-channel';
import type { ServeReady } from '../../../src/serving/serve-lines';
import { linkRunner } from '../../../src/serving/runner-link';
import { until } from '../../shared/until';

const READY = { event: 'ready', url: 'http://127.0.0.1:1', host: '127.0.0.1', port: 1, pid: 1, name: 'm', version: '1', model: '/m.pkl', format: 'pickle', modelClass: 'X', nFeatures: 1, sha256: 'a', tokenRequired: false };

async function link(secret: string | undefined) {
  const channel = await openRunnerChannel(10_000);
  const warnings: string[] = [];
  const ready: ServeReady[] = [];
  void channel.connected.then((c) => linkRunner(c, channel.secret, { warn: (m) => warnings.push(m), ready: (r) => ready.push(r) }));
  const socket = net.createConnection(channel.pipeName);
  await new Promise((r) => socket.once('connect', r));
  let inbox = '';
  socket.on('data', (d) => (inbox += d.toString()));
  const send = (msg: unknown) => {
    const body = JSON.stringify(msg);
    socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const replies = () => inbox.split(/Content-Length: \d+\r\n\r\n/).filter(Boolean).map((b) => JSON.parse(b) as { id?: number; result?: { accepted?: boolean; reason?: string } });
  send({ jsonrpc: '2.0', id: 1, method: 'runner/handshake', params: { protocol: 1, runner: 't', python: { executable: 'p', version: '3' }, pid: 1, capabilities: [], ...(secret === undefined ? {} : { secret: secret === 'right' ? channel.secret : secret }) } });
  send({ jsonrpc: '2.0', method: 'serve/ready', params: READY });
  const answer = await until(() => replies().find((m) => m.id === 1), 'the handshake answer', { seen: replies });
  return { answer, warnings, ready, close: () => (socket.destroy(), channel.close()) };
}

describe('serving: the runner link checks the session secret', function () {
  this.timeout(20_000);

  it('the right secret is accepted and its messages are taken', async () => {
    const r = await link('right');
    assert.equal(r.answer?.result?.accepted, true);
    await until(() => r.ready.length === 1 || undefined, 'serve/ready handled');
    r.close();
  });

  for (const secret of [undefined, 'wrong', '']) {
    it(`a handshake with ${secret === undefined ? 'no' : JSON.stringify(secret) + ' as'} secret is refused and what follows ignored`, async () => {
      const r = await link(secret);
      assert.equal(r.answer?.result?.accepted, false);
      assert.match(r.answer?.result?.reason ?? '', /session secret/);
      await until(() => r.warnings.some((w) => w.includes('ignored serve/ready')) || undefined, 'the ignored serve/ready logged', { seen: () => r.warnings });
      assert.ok(r.warnings.some((w) => /^refused: the handshake/.test(w)), r.warnings.join('\n'));
      assert.deepEqual(r.ready, []);
      r.close();
    });
  }
});
