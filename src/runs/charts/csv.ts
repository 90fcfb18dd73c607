/** CSV (RFC 4180) of metric points: what "Export CSV" writes. */

export interface CsvSeries {
  run: string;
  runName: string;
  key: string;
  step: ArrayLike<number>;
  time: ArrayLike<number>;
  value: ArrayLike<number>;
}

export function csvCell(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One row per point: run, run_name, key, step, time (epoch seconds, UTC ISO too), value. */
export function seriesCsv(series: readonly CsvSeries[]): string {
  const lines = ['run,run_name,key,step,time,time_iso,value'];
  for (const s of series) {
    const prefix = `${csvCell(s.run)},${csvCell(s.runName)},${csvCell(s.key)}`;
    for (let i = 0; i < s.step.length; i++) {
      const t = s.time[i];
      const iso = Number.isFinite(t) ? new Date(t * 1000).toISOString() : '';
      lines.push(`${prefix},${s.step[i]},${t},${iso},${csvCell(s.value[i])}`);
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A file-name-safe form of a metric key or run name ("train/loss" → "train-loss"). */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'metric';
}
