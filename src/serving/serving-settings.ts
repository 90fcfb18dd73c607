import * as vscode from 'vscode';

export { isLoopback } from './serve-process';

export interface ServingSettings {
  host: string;
  /** 0: a free port. */
  port: number;
  maxBatch: number;
  maxWaitMs: number;
  maxBodyMb: number;
}

export function servingSettings(): ServingSettings {
  const c = vscode.workspace.getConfiguration('mlwb.serve');
  const int = (k: string, d: number, min: number, max: number) => {
    const v = c.get<number>(k, d);
    return Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : d;
  };
  return {
    host: c.get<string>('host', '127.0.0.1').trim() || '127.0.0.1',
    port: int('port', 0, 0, 65535),
    maxBatch: int('maxBatch', 64, 1, 1_000_000),
    maxWaitMs: Math.max(0, c.get<number>('maxWaitMs', 5)),
    maxBodyMb: Math.max(0.001, c.get<number>('maxBodyMb', 16)),
  };
}
