import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  isAccountingDisabled, isInvalidJobId, parseSacct, parseSbatchParsable, parseScontrolJobs, parseSqueue, type JobInfo,
} from './slurm-parsers';

/** What the extension asks of Slurm; SlurmCli runs the real commands, tests may put a stand-in (FakeSlurm) here. */
export interface Slurm {
  /** `sbatch --parsable <file>`: the job id. */
  submit(scriptFile: string, cwd: string): Promise<string>;
  /** Jobs still in the queue (pending, running, completing) among `ids`. */
  queued(ids: readonly string[]): Promise<Map<string, JobInfo>>;
  /** Final states of jobs that left the queue (sacct, or scontrol where accounting is off); unknown ids are left out. */
  ended(ids: readonly string[]): Promise<Map<string, JobInfo>>;
  cancel(ids: readonly string[]): Promise<void>;
}

/** A Slurm command that is not installed (or not where mlwb.slurm.binDir says). */
export class SlurmCommandMissing extends Error {
  constructor(readonly command: string, where: string) {
    super(
      `"${command}" was not found ${where}. Submitting to Slurm needs Slurm's client commands (sbatch, squeue, scancel, scontrol): ` +
        'install them (Debian: slurm-client) or set mlwb.slurm.binDir to the folder that holds them.',
    );
  }
}

/** A Slurm command that ran and failed: its stderr says why. */
export class SlurmCommandFailed extends Error {
  constructor(readonly command: string, readonly code: number | string | null, readonly stderr: string) {
    super(`${command} failed${code !== null ? ` (exit ${code})` : ''}: ${stderr.trim() || 'no message'}`);
  }
}

export interface SlurmCliOptions {
  /** Folder holding sbatch & co. (setting mlwb.slurm.binDir); empty: PATH. */
  binDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Every command with its duration and outcome (the output channel). */
  log?: (line: string) => void;
  timeoutMs?: number;
}

export class SlurmCli implements Slurm {
  /** Once sacct said accounting is off, ask scontrol directly. */
  private accounting = true;

  constructor(private readonly opts: SlurmCliOptions = {}) {}

  /** Before anything is created: the commands a submission and its following need are there. */
  async assertInstalled(): Promise<void> {
    const binDir = this.opts.binDir?.trim();
    const dirs = binDir ? [binDir] : (this.opts.env ?? process.env).PATH?.split(path.delimiter).filter(Boolean) ?? [];
    for (const command of ['sbatch', 'squeue', 'scancel']) {
      if (!dirs.some((d) => isExecutable(path.join(d, command)))) throw new SlurmCommandMissing(command, binDir ? `in ${binDir} (mlwb.slurm.binDir)` : 'on PATH');
    }
  }

  async submit(scriptFile: string, cwd: string): Promise<string> {
    const { stdout } = await this.run('sbatch', ['--parsable', scriptFile], cwd);
    return parseSbatchParsable(stdout);
  }

  async queued(ids: readonly string[]): Promise<Map<string, JobInfo>> {
    if (ids.length === 0) return new Map();
    try {
      const { stdout } = await this.run('squeue', ['--noheader', '-r', '-o', '%i|%T|%r|%N', '-j', ids.join(',')]);
      return parseSqueue(stdout);
    } catch (err) {
      // Every id has left the controller's memory: none is queued.
      if (err instanceof SlurmCommandFailed && isInvalidJobId(err.stderr)) return new Map();
      throw err;
    }
  }

  async ended(ids: readonly string[]): Promise<Map<string, JobInfo>> {
    if (ids.length === 0) return new Map();
    if (this.accounting) {
      try {
        const { stdout } = await this.run('sacct', ['-n', '-P', '-X', '-o', 'JobID,State,ExitCode', '-j', ids.join(',')]);
        const found = parseSacct(stdout);
        if (ids.every((id) => found.has(id))) return found;
        return new Map([...(await this.scontrol(ids.filter((id) => !found.has(id)))), ...found]);
      } catch (err) {
        if (!(err instanceof SlurmCommandFailed) || !isAccountingDisabled(err.stderr)) throw err;
        this.accounting = false;
      }
    }
    return this.scontrol(ids);
  }

  async cancel(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.run('scancel', [...ids]);
  }

  /** One `scontrol show job` per id: it takes a single id (an unknown one fails alone). */
  private async scontrol(ids: readonly string[]): Promise<Map<string, JobInfo>> {
    const found = new Map<string, JobInfo>();
    for (const id of ids) {
      try {
        const { stdout } = await this.run('scontrol', ['show', 'job', '-o', id]);
        for (const [k, v] of parseScontrolJobs(stdout)) if (k === id) found.set(k, v);
      } catch (err) {
        if (!(err instanceof SlurmCommandFailed) || !isInvalidJobId(err.stderr)) throw err;
      }
    }
    return found;
  }

  private run(command: string, args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
    const binDir = this.opts.binDir?.trim();
    const file = binDir ? path.join(binDir, command) : command;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = execFile(
        file,
        args,
        { cwd, env: this.opts.env ?? process.env, timeout: this.opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const took = Date.now() - started;
          if (!err) {
            this.opts.log?.(`${command} ${args.join(' ')} (pid ${child.pid}): ok in ${took} ms`);
            resolve({ stdout, stderr });
            return;
          }
          const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          this.opts.log?.(`${command} ${args.join(' ')} (pid ${child.pid}): failed in ${took} ms: ${(stderr || e.message).trim()}`);
          if (e.code === 'ENOENT') reject(new SlurmCommandMissing(command, binDir ? `in ${binDir} (mlwb.slurm.binDir)` : 'on PATH'));
          else if (e.killed) reject(new SlurmCommandFailed(command, null, `timed out after ${took} ms`));
          else reject(new SlurmCommandFailed(command, e.code ?? null, stderr || e.message));
        },
      );
    });
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
