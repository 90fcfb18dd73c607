import { execFile } from 'node:child_process';

export interface Gpu {
  index: number;
  name: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  utilizationPct: number;
  temperatureC?: number;
}

export const NVIDIA_SMI_QUERY = ['--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu', '--format=csv,noheader,nounits'];

/** Parses `nvidia-smi --query-gpu=... --format=csv,noheader,nounits`; "[N/A]" fields become undefined/0. */
export function parseNvidiaSmi(csv: string): Gpu[] {
  const num = (s: string | undefined) => {
    const n = Number(s?.trim());
    return Number.isFinite(n) ? n : undefined;
  };
  return csv
    .split(/\r?\n/)
    .map((line) => line.split(',').map((c) => c.trim()))
    .filter((cols) => cols.length >= 5 && num(cols[0]) !== undefined)
    .map((cols) => ({
      index: num(cols[0])!,
      name: cols[1],
      memoryTotalMiB: num(cols[2]) ?? 0,
      memoryUsedMiB: num(cols[3]) ?? 0,
      utilizationPct: num(cols[4]) ?? 0,
      temperatureC: num(cols[5]),
    }));
}

export type GpuQuery = { ok: true; gpus: Gpu[] } | { ok: false; reason: string };

/** Lists GPUs through nvidia-smi; says why when there are none to list. */
export function queryGpus(nvidiaSmi = 'nvidia-smi', timeoutMs = 5000): Promise<GpuQuery> {
  return new Promise((resolve) => {
    execFile(nvidiaSmi, NVIDIA_SMI_QUERY, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        resolve({ ok: false, reason: missing ? 'nvidia-smi was not found: no NVIDIA driver on this machine' : `nvidia-smi failed: ${(stderr || err.message).trim()}` });
        return;
      }
      const gpus = parseNvidiaSmi(stdout);
      resolve(gpus.length ? { ok: true, gpus } : { ok: false, reason: 'nvidia-smi lists no GPU' });
    });
  });
}
