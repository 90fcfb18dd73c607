/**
 * Profiling a large CSV streams it: time against a plain line split of the same file (same run), and
 * peak RSS growth against the file's size (the file is never loaded whole). Size: MLWB_BENCH_DATASET_MB (default 300).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileCsv, readRows } from '../../src/datasets/profile/profiler';
import { figure, type Figure } from './figure';

const MB = 1024 * 1024;

async function writeCsv(file: string, targetBytes: number): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 4 * MB });
  const cities = ['Paris', 'Lyon', '"New York, NY"', 'Zürich', '"multi\nline"', ''];
  out.write('id,amount,count,flag,city,when,note\n');
  let written = 0;
  let i = 0;
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff);
  while (written < targetBytes) {
    let chunk = '';
    for (let k = 0; k < 5000; k++, i++) {
      const r = rand();
      const day = String(1 + (i % 28)).padStart(2, '0');
      chunk += `u${i},${r < 0.05 ? '' : (r * 1000 - 100).toFixed(3)},${i % 977},${r < 0.5 ? 'true' : 'false'},${cities[i % cities.length]},2024-03-${day} 12:00:00,note ${i % 50000}\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Peak RSS above the level when it started, sampled every 20 ms while `fn` runs. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number; ms: number; cpuMs: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t = performance.now();
  const cpu = process.cpuUsage();
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    const used = process.cpuUsage(cpu);
    return { result, peak: peak - base, ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

async function lineSplit(file: string): Promise<number> {
  let lines = 0;
  let carry = '';
  for await (const chunk of createReadStream(file, { highWaterMark: MB, encoding: 'utf8' }) as AsyncIterable<string>) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop() ?? '';
    lines += parts.length;
  }
  return lines + (carry ? 1 : 0);
}

export async function bench(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlwb-dataset-bench-'));
  const file = join(dir, 'big.csv');
  try {
    // Written by a child process, so this process's RSS is not already grown by the writing.
    execFileSync(process.execPath, [__filename], { env: { ...process.env, MLWB_DATASET_BENCH_WRITE: file }, stdio: 'inherit' });
    const bytes = statSync(file).size;
    const sizeMb = Math.round(bytes / MB);
    // CPU time, not wall time: the bench machine is shared and wall time measures the neighbours.
    // The profile first: its RSS growth is then measured from a heap the baseline has not grown.
    const { result, peak, cpuMs: ms } = await peakRssGrowth(() => profileCsv(file));
    const baselineMs = (await peakRssGrowth(() => lineSplit(file))).cpuMs;
    const rows = result.profile.rows;
    const t = performance.now();
    await readRows(result.index, Math.floor(rows * 0.9), 100);
    const pageMs = performance.now() - t;
    return [
      figure(`profiling a ${sizeMb} MB CSV (${(rows / 1e6).toFixed(1)}M rows, 7 columns): ${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s of CPU`, ms, 'ms CPU', baselineMs, 'splitting the same file into lines (no parsing, no statistics), CPU'),
      figure(`peak RSS growth while profiling the ${sizeMb} MB CSV`, peak / MB, 'MB', bytes / MB, 'the file size'),
      figure('reading 100 rows at 90% of the file (sparse offset index)', pageMs, 'ms', ms, 'profiling the whole file (CPU)'),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module && process.env.MLWB_DATASET_BENCH_WRITE) {
  void writeCsv(process.env.MLWB_DATASET_BENCH_WRITE, Number(process.env.MLWB_BENCH_DATASET_MB ?? 300) * MB);
}
