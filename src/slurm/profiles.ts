/**
 * Slurm profiles (setting `mlwb.slurm.profiles`): what a job asks of the cluster and how its shell is
 * prepared. Read from untrusted settings, so every field is checked here; no `vscode` import.
 */
export interface SlurmProfile {
  name: string;
  partition?: string;
  /** GPUs per job (`--gres=gpu:N`). */
  gpus?: number;
  cpusPerTask?: number;
  /** Memory per node, as sbatch takes it: 4G, 500M, 16000. */
  mem?: string;
  /** Time limit, as sbatch takes it: 30, 2:00:00, 1-12:00:00. */
  time?: string;
  /** Raw `#SBATCH` lines (`#SBATCH --qos=high`, or just `--qos=high`). */
  extra?: string[];
  /** The interpreter on the compute nodes (default: the one the extension would use here). */
  python?: string;
  /** Shell lines run before the job's Python, e.g. `module load cuda/12` or `source ~/venv/bin/activate`. */
  setup?: string[];
}

/** The profile used when the setting lists none: the cluster's defaults. */
export const DEFAULT_PROFILE: SlurmProfile = { name: 'default' };

const PARTITION = /^[A-Za-z0-9_.,-]+$/;
const MEM = /^\d+(\.\d+)?[KMGT]?B?$/i;
const TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$|^\d+-\d+$/;

/** The profiles in the setting, each checked; a bad profile is left out with a message saying why. */
export function parseProfiles(raw: unknown): { profiles: SlurmProfile[]; problems: string[] } {
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { profiles: [DEFAULT_PROFILE], problems };
  if (!Array.isArray(raw)) return { profiles: [DEFAULT_PROFILE], problems: ['mlwb.slurm.profiles must be an array of profiles'] };
  const profiles: SlurmProfile[] = [];
  for (const [i, entry] of raw.entries()) {
    try {
      const p = checkProfile(entry);
      if (profiles.some((q) => q.name === p.name)) throw new Error(`a second profile is named "${p.name}"`);
      profiles.push(p);
    } catch (err) {
      problems.push(`mlwb.slurm.profiles[${i}]: ${(err as Error).message}`);
    }
  }
  return { profiles: profiles.length > 0 || raw.length > 0 ? profiles : [DEFAULT_PROFILE], problems };
}

export function checkProfile(raw: unknown): SlurmProfile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('a profile is an object with at least a "name"');
  const r = raw as Record<string, unknown>;
  const name = line(r.name, 'name');
  if (name === undefined || name.trim() === '') throw new Error('a profile needs a "name"');
  const p: SlurmProfile = { name: name.trim() };
  const partition = line(r.partition, 'partition');
  if (partition !== undefined) p.partition = matching(partition, PARTITION, 'partition', 'a partition name such as gpu or "short,long"');
  if (r.gpus !== undefined) p.gpus = integer(r.gpus, 'gpus', 0);
  if (r.cpusPerTask !== undefined) p.cpusPerTask = integer(r.cpusPerTask, 'cpusPerTask', 1);
  const mem = line(typeof r.mem === 'number' ? String(r.mem) : r.mem, 'mem');
  if (mem !== undefined) p.mem = matching(mem, MEM, 'mem', 'a size such as 4G or 16000M');
  const time = line(r.time, 'time');
  if (time !== undefined) p.time = matching(time, TIME, 'time', 'a time limit such as 30, 2:00:00 or 1-12:00:00');
  if (r.extra !== undefined) p.extra = lines(r.extra, 'extra').map(sbatchLine);
  const python = line(r.python, 'python');
  if (python !== undefined && python.trim() !== '') p.python = python.trim();
  if (r.setup !== undefined) p.setup = lines(r.setup, 'setup');
  return p;
}

/** "--qos=high" or "#SBATCH --qos=high" → "#SBATCH --qos=high". */
function sbatchLine(text: string): string {
  const t = text.trim();
  const body = t.startsWith('#SBATCH') ? t.slice('#SBATCH'.length).trim() : t;
  if (!body.startsWith('-')) throw new Error(`extra: ${JSON.stringify(text)} is not an sbatch option (e.g. "--qos=high" or "#SBATCH --qos=high")`);
  return `#SBATCH ${body}`;
}

/** A single-line string (a newline would end the #SBATCH line or the shell command early). */
function line(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`${field} must be a string`);
  if (/[\r\n\0]/.test(v)) throw new Error(`${field} must be a single line: ${JSON.stringify(v)}`);
  return v;
}

function lines(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new Error(`${field} must be an array of lines`);
  return v.map((x, i) => line(x, `${field}[${i}]`) ?? '');
}

function integer(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${field} must be a whole number ≥ ${min}`);
  return v;
}

function matching(v: string, re: RegExp, field: string, what: string): string {
  const t = v.trim();
  if (!re.test(t)) throw new Error(`${field} must be ${what}, not ${JSON.stringify(v)}`);
  return t;
}
