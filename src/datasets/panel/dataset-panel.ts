import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from '../../platform/log';
import { PanelHost, type PanelKind } from '../../platform/webview-panel';
import { profileCsv, ProfileCancelled, readRows, type DatasetProfile, type RowIndex } from '../profile/profiler';
import { parseFromDataset, DATASET_PROTOCOL, type DatasetState, type FromDataset, type ToDataset } from './contract';

export const DATASET_VIEW_TYPE = 'mlwb.datasetProfile';

/** How a Parquet file becomes a CSV the profiler reads (the selected interpreter does it). */
export type ParquetReader = (parquet: string, csv: string) => Promise<void>;

interface Profiled {
  profile: DatasetProfile;
  index: RowIndex;
  /** The temporary CSV a Parquet file was converted to (deleted with the panel). */
  temp?: string;
}

interface Entry {
  host: PanelHost<FromDataset, ToDataset>;
  file: string;
  result?: Profiled;
}

/** Dataset profile panels, one per file: the profile, then pages of rows on request. Restored after a reload. */
export class DatasetPanels implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly extensionUri: vscode.Uri, private readonly readParquet: ParquetReader) {}

  /** Profiles `file` (with a cancellable progress notification) and shows it; undefined when cancelled. */
  async open(file: string): Promise<DatasetProfile | undefined> {
    const existing = this.entries.get(file);
    if (existing?.result) {
      existing.host.panel.reveal();
      return existing.result.profile;
    }
    const result = await this.profileWithProgress(file);
    if (!result) return undefined;
    const host = PanelHost.open(this.kind(file), this.extensionUri);
    this.attach(host, file, result);
    return result.profile;
  }

  async revive(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const file = typeof state === 'object' && state !== null && typeof (state as DatasetState).file === 'string' ? (state as DatasetState).file : undefined;
    if (!file) {
      panel.dispose();
      return;
    }
    const entry = this.attach(PanelHost.revive(panel, this.kind(file), this.extensionUri), file, undefined);
    await entry.host.post({ type: 'progress', message: `Profiling ${path.basename(file)}…` });
    const result = await this.profileWithProgress(file);
    if (!result) return void (await entry.host.post({ type: 'error', message: 'Profiling was cancelled. Refresh to profile again.' }));
    entry.result = result;
    await this.sendProfile(entry);
  }

  /** The open panels' profiles (tests). */
  profiles(): DatasetProfile[] {
    return [...this.entries.values()].flatMap((e) => (e.result ? [e.result.profile] : []));
  }

  private kind(file: string): PanelKind<FromDataset, ToDataset> {
    return {
      viewType: DATASET_VIEW_TYPE,
      title: `Profile: ${path.basename(file)}`,
      bundle: 'dataset',
      parse: parseFromDataset,
      onMessage: (message) => this.onMessage(file, message),
    };
  }

  private attach(host: PanelHost<FromDataset, ToDataset>, file: string, result: Profiled | undefined): Entry {
    const entry: Entry = { host, file, result };
    this.entries.set(file, entry);
    host.onDidDispose(() => {
      if (this.entries.get(file) === entry) this.entries.delete(file);
      void removeTemp(entry.result);
    });
    return entry;
  }

  private async onMessage(file: string, message: FromDataset): Promise<void> {
    const entry = this.entries.get(file);
    if (!entry) return;
    switch (message.type) {
      case 'ready':
        if (entry.result) await this.sendProfile(entry);
        return;
      case 'refresh': {
        const result = await this.profileWithProgress(file);
        if (!result) return;
        void removeTemp(entry.result);
        entry.result = result;
        await this.sendProfile(entry);
        return;
      }
      case 'openFile':
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
        return;
      case 'rows': {
        if (!entry.result) return;
        const rows = await readRows(entry.result.index, message.start, message.count);
        await entry.host.post({ type: 'rows', start: message.start, rows });
        return;
      }
    }
  }

  private async sendProfile(entry: Entry): Promise<void> {
    if (entry.result) await entry.host.post({ type: 'profile', v: DATASET_PROTOCOL, data: entry.result.profile });
  }

  private profileWithProgress(file: string): Thenable<Profiled | undefined> {
    const name = path.basename(file);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Profiling ${name}`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        let temp: string | undefined;
        try {
          let source = file;
          if (/\.parquet$/i.test(file)) {
            progress.report({ message: 'reading Parquet with the selected interpreter…' });
            temp = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'mlwb-parquet-')), `${path.basename(file, path.extname(file))}.csv`);
            await this.readParquet(file, temp);
            source = temp;
          }
          let reported = 0;
          const { profile, index } = await profileCsv(source, {
            signal: controller.signal,
            displayName: file,
            onProgress: (done, total) => {
              const pct = total ? (100 * done) / total : 100;
              progress.report({ increment: pct - reported, message: `${formatBytes(done)} of ${formatBytes(total)}` });
              reported = pct;
            },
          });
          log().info(`profiled ${file}: ${profile.rows} rows × ${profile.columns.length} columns in ${Math.round(profile.durationMs)} ms`);
          return { profile, index, temp };
        } catch (err) {
          if (temp) void fs.rm(path.dirname(temp), { recursive: true, force: true });
          if (err instanceof ProfileCancelled) return undefined;
          throw err;
        } finally {
          sub.dispose();
        }
      },
    );
  }

  dispose(): void {
    for (const e of [...this.entries.values()]) e.host.dispose();
    this.entries.clear();
  }
}

async function removeTemp(result: Profiled | undefined): Promise<void> {
  if (result?.temp) await fs.rm(path.dirname(result.temp), { recursive: true, force: true });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
