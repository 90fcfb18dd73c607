import * as path from 'node:path';

/** Everything needed to start (and later rerun) a training script. */
export interface LaunchSpec {
  script: string;                 // absolute path
  args: string[];
  cwd: string;
  python: string;
  /** GPU indices for CUDA_VISIBLE_DEVICES; [] = CPU only (hide every GPU); undefined = leave as is. */
  gpus?: number[];
  /** Extra environment (from the .env file); never recorded. */
  env: Record<string, string>;
  /**
   * Another runner subcommand than `run` (e.g. `tune`): the runner gets `<subcommand> ...runnerArgs`
   * instead of `run <script> ...args`; `script` still names the terminal (the spec or script tuned).
   */
  subcommand?: 'tune';
  runnerArgs?: string[];
}

/** The terminal's name says what runs, and on which GPUs. */
export function terminalName(spec: LaunchSpec): string {
  const device = spec.gpus === undefined ? '' : spec.gpus.length ? ` [GPU ${spec.gpus.join(',')}]` : ' [CPU]';
  return `mlwb${spec.subcommand ? ` ${spec.subcommand}` : ''}: ${path.basename(spec.script)}${device}`;
}

/**
 * The runner's command line and environment. python-runner/ goes first on PYTHONPATH so the
 * bundled `mlwb` is used without a pip install.
 */
export function runnerInvocation(
  spec: LaunchSpec,
  runnerDir: string,
  pipeName: string,
  storeDir: string,
  baseEnv: NodeJS.ProcessEnv = process.env,
  options: RunnerOptions = {},
) {
  const env: Record<string, string> = {
    ...spec.env,
    PYTHONPATH: [runnerDir, spec.env.PYTHONPATH ?? baseEnv.PYTHONPATH].filter(Boolean).join(path.delimiter),
    MLWB_RPC_PIPE: pipeName,
    ...(options.rpcSecret ? { MLWB_RPC_SECRET: options.rpcSecret } : {}),
    MLWB_STORE: storeDir,
    PYTHONUNBUFFERED: '1',
  };
  // The .env file's values are secrets whatever their names: the runner masks them in captured output.
  const dotenvNames = Object.keys(spec.env).filter((n) => n !== 'PYTHONPATH');
  if (dotenvNames.length) env.MLWB_SECRET_ENV = dotenvNames.join(',');
  if (spec.gpus !== undefined) env.CUDA_VISIBLE_DEVICES = spec.gpus.join(',');
  if (options.systemMetricsInterval !== undefined && Number.isFinite(options.systemMetricsInterval)) {
    env.MLWB_SYSTEM_METRICS_INTERVAL = String(Math.max(0, options.systemMetricsInterval));
  }
  const args = spec.subcommand ? ['-m', 'mlwb', spec.subcommand, ...(spec.runnerArgs ?? [])] : ['-m', 'mlwb', 'run', spec.script, ...scriptArgs(spec.script, spec.args)];
  return { command: spec.python, args, env };
}

/** A Jupyter notebook, run by `python -m mlwb run NB.ipynb` on a kernel. */
export function isNotebook(file: string): boolean {
  return file.toLowerCase().endsWith('.ipynb');
}

/** What follows the file on `python -m mlwb run FILE`: a script's arguments as given; a notebook's as `--param`s. */
export function scriptArgs(file: string, args: readonly string[]): string[] {
  return isNotebook(file) ? notebookParams(args) : [...args];
}

/**
 * Arguments written as for a script become a notebook's parameters: `--lr 0.1`, `--lr=0.1` and `lr=0.1` are
 * `--param lr=0.1`, a lone flag `--verbose` is `--param verbose=true`; `--param` / `-p` pairs pass unchanged
 * (so a rerun's recorded argv converts to itself). Anything else is passed on for the runner to refuse by name.
 */
export function notebookParams(args: readonly string[]): string[] {
  const out: string[] = [];
  const name = (raw: string) => raw.replace(/-/g, '_');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((a === '--param' || a === '-p') && i + 1 < args.length) out.push(a, args[++i]);
    else if (a.startsWith('--param=')) out.push(a);
    else if (/^--[A-Za-z_][\w-]*=/.test(a)) out.push('--param', name(a.slice(2, a.indexOf('='))) + a.slice(a.indexOf('=')));
    else if (/^--[A-Za-z_][\w-]*$/.test(a)) {
      const next = args[i + 1];
      if (next === undefined || /^--[A-Za-z_]/.test(next)) out.push('--param', `${name(a.slice(2))}=true`);
      else out.push('--param', `${name(a.slice(2))}=${args[++i]}`);
    } else if (/^[A-Za-z_]\w*=/.test(a)) out.push('--param', a);
    else out.push(a);
  }
  return out;
}

/** Settings read at launch time (not part of a rerun's spec). */
export interface RunnerOptions {
  /** The channel's secret (`RunnerChannel.secret`): the runner's handshake must present it. */
  rpcSecret?: string;
  /** Seconds between system/* samples (`mlwb.systemMetricsInterval`); 0 disables them. */
  systemMetricsInterval?: number;
}

/** The inverse of splitArgs: one line a user can edit (words quoted only where they need it). */
export function quoteArgs(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Splits an argument string as a POSIX shell would for plain words and quotes (no expansion). */
export function splitArgs(line: string): string[] {
  return shellWords(line).map(([word]) => word);
}

/**
 * Words as a POSIX shell splits them (quotes and backslashes, no expansion), each as its pieces: with a
 * `separator`, a word is also cut at its unquoted separators (a sweep's `0.1,0.01`); without, one piece.
 */
export function shellWords(line: string, separator?: string): string[][] {
  const words: string[][] = [];
  let pieces: string[] = [];
  let cur = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  const endWord = () => {
    if (started) words.push([...pieces, cur]);
    pieces = [];
    cur = '';
    started = false;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      endWord();
      continue;
    }
    started = true;
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\\' && i + 1 < line.length) cur += line[++i];
    else if (ch === separator) {
      pieces.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quote) throw new Error(`unclosed ${quote} in arguments`);
  endWord();
  return words;
}
