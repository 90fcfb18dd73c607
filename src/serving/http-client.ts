import * as http from 'node:http';

export interface HttpResult {
  status: number;
  contentType: string;
  body: string;
  /** Request sent -> whole answer read, measured here (includes the network). */
  latencyMs: number;
  /** The body was longer than `maxBytes` and was cut. */
  truncated: boolean;
  bytes: number;
}

export interface HttpOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  maxBytes?: number;
  token?: string;
}

/**
 * One HTTP request from the extension host to a local server (a webview never talks to localhost:
 * CSP, remote setups). No keep-alive: an idle open connection would make the server's batcher wait
 * for requests that never come (it batches while some open connection could still send one).
 */
export function httpRequest(url: string, o: HttpOptions = {}): Promise<HttpResult> {
  const maxBytes = o.maxBytes ?? 1 << 20;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers: Record<string, string> = { Connection: 'close', ...o.headers };
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(o.body));
    const req = http.request(url, { method: o.method ?? 'GET', headers, agent: false, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        if (bytes < maxBytes) chunks.push(d.subarray(0, maxBytes - bytes));
        bytes += d.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          latencyMs: performance.now() - started,
          truncated: bytes > maxBytes,
          bytes,
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round((o.timeoutMs ?? 10_000) / 1000)} s`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
