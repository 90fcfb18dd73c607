import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { InferenceResult } from './contract';

export function inferArgs(weights: string, inputs: number[], sha256?: string): string[] {
  const args = ['-m', 'mlwb', 'infer', '--weights', weights, '--input', JSON.stringify(inputs)];
  if (sha256) args.push('--sha256', sha256);
  return args;
}

/**
 * One inference with `python -m mlwb infer` (a one-shot process: the weights carry the spec). `sha256`: the
 * hash the user agreed to; Python refuses other bytes. Rejects with the runner's own error line.
 */
export function inferOnce(python: string, runnerDir: string, weights: string, inputs: number[], sha256?: string, timeoutMs = 60_000): Promise<InferenceResult> {
  const env = { ...process.env, PYTHONPATH: [runnerDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const args = inferArgs(weights, inputs, sha256);
  return new Promise((resolve, reject) => {
    execFile(python, args, { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const line = stderr.trim().split('\n').pop() || err.message;
        reject(new Error(line.replace(/^mlwb infer: (error: )?/, '')));
        return;
      }
      try {
        const out = JSON.parse(stdout) as { label: string; probabilities: number[]; classes: string[] };
        resolve({ label: String(out.label), probabilities: out.probabilities, classes: out.classes });
      } catch {
        reject(new Error(`unexpected output from mlwb infer: ${stdout.slice(0, 200)}`));
      }
    });
  });
}
