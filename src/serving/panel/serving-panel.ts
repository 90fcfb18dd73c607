import * as vscode from 'vscode';
import { log } from '../../platform/log';
import { PanelHost, type PanelKind } from '../../platform/webview-panel';
import { httpRequest } from '../http-client';
import { chartSeries, MetricsHistory, parseMetrics } from '../metrics-history';
import { csvTemplate, jsonTemplate, parseMetadata, prettyBody, type ModelMetadata } from '../request-template';
import { versionKey, type ServedVersion, type ServerManager } from '../server-manager';
import {
  maskToken, parseFromServingPanel, parseServingPanelState, SERVING_PROTOCOL, type FromServingPanel, type RecentRequest, type ServingInfo,
  type ServingMetricsView, type ServingPanelState, type ToServingPanel, type TryResponse,
} from './contract';

export const SERVING_VIEW_TYPE = 'mlwb.serving';
const POLL_MS = 1500;
const RECENT = 20;

type Host = PanelHost<FromServingPanel, ToServingPanel>;

interface OpenPanel {
  ref: ServingPanelState;
  host: Host;
  history: MetricsHistory;
  recent: RecentRequest[];
  /** The server (process) the history and metadata belong to. */
  served?: ServedVersion['process'];
  metadata?: ModelMetadata;
  timer?: NodeJS.Timeout;
  polling: boolean;
  last: Partial<Record<ToServingPanel['type'], ToServingPanel>>;
}

/**
 * Serving panels, one per version: the server's URL, status and token, a "try it" request the host
 * sends (the webview never talks to localhost), live latency and throughput from /metrics polled here,
 * and the panel's recent requests.
 */
export class ServingPanels implements vscode.Disposable {
  private readonly open = new Map<string, OpenPanel>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly servers: ServerManager,
  ) {
    this.subscription = servers.onDidChange((s) => {
      const p = this.open.get(s.key);
      if (p) void this.serverChanged(p);
    });
  }

  show(ref: ServingPanelState): Host {
    const existing = this.open.get(versionKey(ref.model, ref.version));
    if (existing) {
      existing.host.panel.reveal();
      return existing.host;
    }
    return this.attach(ref, PanelHost.open(this.kind(ref), this.extensionUri));
  }

  revive(panel: vscode.WebviewPanel, state: unknown): void {
    let ref: ServingPanelState;
    try {
      ref = parseServingPanelState(state);
    } catch (err) {
      log().warn(`${SERVING_VIEW_TYPE}: not restoring a panel: ${(err as Error).message}`);
      panel.dispose();
      return;
    }
    this.attach(ref, PanelHost.revive(panel, this.kind(ref), this.extensionUri));
  }

  /** The last message of each type sent to a version's panel (tests read what it shows). */
  shown(model: string, version: number): Partial<Record<ToServingPanel['type'], ToServingPanel>> | undefined {
    return this.open.get(versionKey(model, version))?.last;
  }

  /** Sends a try-it request as the panel's Send button does; resolves with what the panel is shown. */
  async send(model: string, version: number, message: Extract<FromServingPanel, { type: 'send' }>): Promise<TryResponse> {
    const p = this.open.get(versionKey(model, version));
    if (!p) throw new Error(`no serving panel for ${model} v${version}`);
    return this.tryIt(p, message);
  }

  private kind(ref: ServingPanelState): PanelKind<FromServingPanel, ToServingPanel> {
    return {
      viewType: SERVING_VIEW_TYPE,
      title: `Serving ${ref.model} v${ref.version}`,
      bundle: 'serving',
      parse: parseFromServingPanel,
      onMessage: (message) => this.onMessage(ref, message),
    };
  }

  private attach(ref: ServingPanelState, host: Host): Host {
    const key = versionKey(ref.model, ref.version);
    this.open.get(key)?.host.dispose();
    const p: OpenPanel = { ref, host, history: new MetricsHistory(), recent: [], polling: false, last: {} };
    this.open.set(key, p);
    host.onDidDispose(() => {
      clearInterval(p.timer);
      if (this.open.get(key) === p) this.open.delete(key);
    });
    host.panel.onDidChangeViewState(() => this.schedule(p));
    return host;
  }

  private post(p: OpenPanel, message: ToServingPanel): void {
    p.last[message.type] = message;
    void p.host.post(message);
  }

  private async onMessage(ref: ServingPanelState, m: FromServingPanel): Promise<void> {
    const p = this.open.get(versionKey(ref.model, ref.version));
    if (!p) return;
    const target = { model: ref.model, version: ref.version };
    const s = this.servers.get(ref.model, ref.version);
    switch (m.type) {
      case 'ready':
        p.served = undefined; // a reloaded webview gets everything again
        await this.serverChanged(p);
        this.post(p, { type: 'recent', requests: p.recent });
        return;
      case 'send':
        await this.tryIt(p, m);
        return;
      case 'stop':
        await vscode.commands.executeCommand('mlwb.stopServing', target);
        return;
      case 'restart':
        if (s) await this.servers.stop(ref.model, ref.version);
        await vscode.commands.executeCommand('mlwb.serveVersion', target);
        return;
      case 'serve':
        await vscode.commands.executeCommand('mlwb.serveVersion', target);
        return;
      case 'copyUrl':
        await vscode.commands.executeCommand('mlwb.copyServingUrl', target);
        return;
      case 'copyToken':
        if (s?.token) {
          await vscode.env.clipboard.writeText(s.token);
          vscode.window.setStatusBarMessage(`Copied the bearer token of ${ref.model} v${ref.version}`, 3000);
        }
        return;
      case 'showLog':
        log().show(true);
        return;
    }
  }

  private info(p: OpenPanel): ServingInfo {
    const s = this.servers.get(p.ref.model, p.ref.version);
    if (!s) return { model: p.ref.model, version: p.ref.version, status: 'not running' };
    const r = s.ready;
    return {
      model: s.model,
      version: s.version,
      status: s.state,
      url: r?.url,
      host: r?.host ?? s.host,
      port: r?.port,
      pid: s.process.pid,
      modelClass: r?.modelClass,
      format: r?.format,
      features: p.metadata?.features,
      nFeatures: p.metadata?.nFeatures ?? r?.nFeatures,
      task: p.metadata?.task,
      token: s.token ? { masked: maskToken(s.token) } : undefined,
      error: s.state === 'died' ? s.exit?.reason : undefined,
      startedAt: s.process.startedAt,
    };
  }

  /** The server started, stopped or died: tell the panel; a new server gets fresh metadata and charts. */
  private async serverChanged(p: OpenPanel): Promise<void> {
    const s = this.servers.get(p.ref.model, p.ref.version);
    if (s?.state === 'running' && s.ready && p.served !== s.process) {
      p.served = s.process;
      p.history.clear();
      p.metadata = await this.fetchMetadata(s);
      this.post(p, { type: 'template', json: jsonTemplate(p.metadata), csv: csvTemplate(p.metadata) });
    }
    this.post(p, { type: 'server', v: SERVING_PROTOCOL, info: this.info(p) });
    this.schedule(p);
  }

  private async fetchMetadata(s: ServedVersion): Promise<ModelMetadata | undefined> {
    try {
      const res = await httpRequest(`${s.ready!.url}/metadata`, { token: s.token, timeoutMs: 5000 });
      return res.status === 200 ? parseMetadata(JSON.parse(res.body)) : undefined;
    } catch (err) {
      log().warn(`serve ${s.key}: /metadata failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Polls /metrics while the panel is visible and its server runs. */
  private schedule(p: OpenPanel): void {
    const s = this.servers.get(p.ref.model, p.ref.version);
    const want = s?.state === 'running' && p.host.panel.visible;
    if (want && !p.timer) {
      void this.poll(p);
      p.timer = setInterval(() => void this.poll(p), POLL_MS);
    } else if (!want && p.timer) {
      clearInterval(p.timer);
      p.timer = undefined;
    }
  }

  private async poll(p: OpenPanel): Promise<void> {
    const s = this.servers.get(p.ref.model, p.ref.version);
    if (p.polling || s?.state !== 'running' || !s.ready) return;
    p.polling = true;
    try {
      const res = await httpRequest(`${s.ready.url}/metrics`, { token: s.token, timeoutMs: 3000, headers: { Accept: 'application/json' } });
      const snap = res.status === 200 ? parseMetrics(JSON.parse(res.body)) : undefined;
      if (!snap) return;
      p.history.add(snap, Date.now());
      this.post(p, { type: 'metrics', metrics: metricsView(p.history) });
    } catch (err) {
      log().debug(`serve ${s.key}: /metrics failed: ${(err as Error).message}`);
    } finally {
      p.polling = false;
    }
  }

  private async tryIt(p: OpenPanel, m: Extract<FromServingPanel, { type: 'send' }>): Promise<TryResponse> {
    const s = this.servers.get(p.ref.model, p.ref.version);
    let response: TryResponse;
    const at = Date.now();
    if (s?.state !== 'running' || !s.ready) {
      response = { status: null, latencyMs: null, contentType: '', body: '', error: `${p.ref.model} v${p.ref.version} is not being served.` };
    } else {
      try {
        const res = await httpRequest(`${s.ready.url}/invocations${m.proba ? '?proba=1' : ''}`, {
          method: 'POST',
          body: m.body,
          token: s.token,
          headers: { 'Content-Type': m.format === 'csv' ? 'text/csv' : 'application/json' },
          timeoutMs: 60_000,
        });
        response = { status: res.status, latencyMs: round(res.latencyMs), contentType: res.contentType, body: prettyBody(res.body) };
      } catch (err) {
        response = { status: null, latencyMs: null, contentType: '', body: '', error: (err as Error).message };
      }
    }
    const summary = response.error ?? response.body.replace(/\s+/g, ' ').slice(0, 120);
    p.recent.unshift({ at, format: m.format, proba: m.proba, status: response.status, latencyMs: response.latencyMs, bytes: Buffer.byteLength(m.body), summary });
    p.recent.splice(RECENT);
    this.post(p, { type: 'response', response });
    this.post(p, { type: 'recent', requests: p.recent });
    void this.poll(p);
    return response;
  }

  dispose(): void {
    this.subscription.dispose();
    for (const p of [...this.open.values()]) {
      clearInterval(p.timer);
      p.host.dispose();
    }
    this.open.clear();
  }
}

function metricsView(h: MetricsHistory): ServingMetricsView {
  const s = h.latest;
  return {
    ...chartSeries(h.points),
    totals: s
      ? {
          requests: s.requests, invocations: s.requestsByPath['/invocations'] ?? 0, errors: s.errors, errorsByStatus: s.errorsByStatus, predictions: s.predictions, inFlight: s.inFlight,
          uptimeS: s.uptimeS, batches: s.batches, meanBatchRows: s.meanBatchRows, p50: s.latency.p50, p95: s.latency.p95, p99: s.latency.p99,
        }
      : null,
  };
}

const round = (v: number) => Math.round(v * 100) / 100;
