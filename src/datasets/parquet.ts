import { execFile } from 'node:child_process';

/**
 * Parquet is read by the selected interpreter (pandas with pyarrow or fastparquet) and written as a
 * temporary CSV, which the streaming profiler then reads like any other. Rejects with a message that
 * says what to install when the interpreter cannot read Parquet.
 */
export function parquetToCsv(python: string, runnerDir: string, parquet: string, csv: string, timeoutMs = 30 * 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-m', 'mlwb._dataset_csv', parquet, csv],
      { timeout: timeoutMs, env: { ...process.env, PYTHONPATH: [runnerDir, process.env.PYTHONPATH].filter(Boolean).join(process.platform === 'win32' ? ';' : ':') } },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        const last = stderr.trim().split('\n').pop() ?? err.message;
        reject(new Error(last.replace(/^mlwb: /, '')));
      },
    );
  });
}
