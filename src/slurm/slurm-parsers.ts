/**
 * What Slurm's commands print, parsed (tested on outputs recorded from a real slurmctld). Job ids are as
 * squeue prints them: "1234", or "1234_2" for task 2 of array job 1234. No `vscode` import.
 */
export interface JobInfo {
  state: string;
  reason?: string;
  node?: string;
  /** "exit:signal", when the command says (sacct, scontrol). */
  exitCode?: string;
}

/** States after which the job will not run again (a requeue makes a new PENDING first). */
const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'REVOKED', 'SPECIAL_EXIT']);

export function isFinalState(state: string): boolean {
  return FINAL.has(state);
}

/** A final state the run's own status does not tell: Slurm ended the job (time limit, out of memory, node failure…). */
export function endedBySlurm(state: string): boolean {
  return FINAL.has(state) && !['COMPLETED', 'FAILED', 'CANCELLED'].includes(state);
}

/** How a job that ended without the runner's final word ends its run. */
export function endOfRun(state: string): { status: 'cancelled' | 'failed'; error: string } {
  return state === 'CANCELLED' ? { status: 'cancelled', error: 'Slurm: CANCELLED' } : { status: 'failed', error: `Slurm: ${state}` };
}

/** `sbatch --parsable`: "1234" or "1234;cluster". */
export function parseSbatchParsable(stdout: string): string {
  const id = stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed no job id: ${JSON.stringify(stdout.trim().slice(0, 200))}`);
  return id;
}

/** `squeue --noheader -r -o "%i|%T|%r|%N"`: one line per job or array task. */
export function parseSqueue(stdout: string): Map<string, JobInfo> {
  const jobs = new Map<string, JobInfo>();
  for (const line of stdout.split('\n')) {
    const [id, state, reason, node] = line.trim().split('|');
    if (!id || !state) continue;
    const info: JobInfo = { state: state.trim() };
    if (reason?.trim()) info.reason = reason.trim();
    if (node?.trim()) info.node = node.trim();
    for (const one of expandJobId(id.trim())) jobs.set(one, info);
  }
  return jobs;
}

/** `sacct -n -P -X -o JobID,State,ExitCode`: "1234_2|CANCELLED by 1000|0:15". */
export function parseSacct(stdout: string): Map<string, JobInfo> {
  const jobs = new Map<string, JobInfo>();
  for (const line of stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|');
    if (!id || !state) continue;
    const info: JobInfo = { state: state.trim().split(/\s+/)[0] };
    if (exitCode?.trim()) info.exitCode = exitCode.trim();
    for (const one of expandJobId(id.trim())) jobs.set(one, info);
  }
  return jobs;
}

/** `scontrol show job -o <id>`: one line of Key=Value pairs per job (an array id lists all its tasks). */
export function parseScontrolJobs(stdout: string): Map<string, JobInfo> {
  const jobs = new Map<string, JobInfo>();
  for (const line of stdout.split('\n')) {
    const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
    const jobId = field('JobId');
    const state = field('JobState');
    if (!jobId || !state) continue;
    const arrayJob = field('ArrayJobId');
    const task = field('ArrayTaskId');
    const info: JobInfo = { state };
    const reason = field('Reason');
    if (reason) info.reason = reason;
    const node = field('NodeList');
    if (node && node !== '(null)') info.node = node;
    const exitCode = field('ExitCode');
    if (exitCode) info.exitCode = exitCode;
    const ids = arrayJob && task ? expandJobId(`${arrayJob}_[${task}]`) : [jobId];
    for (const id of ids) jobs.set(id, info);
  }
  return jobs;
}

/** "7_[2-3,5%2]" → ["7_2", "7_3", "7_5"]; "7_1" and "7" as they are. */
export function expandJobId(id: string): string[] {
  const m = /^(\d+)_\[([^\]]+)\]$/.exec(id);
  if (!m) return [id];
  const out: string[] = [];
  for (const part of m[2].split('%')[0].split(',')) {
    const [from, to = from] = part.split('-').map(Number);
    if (!Number.isInteger(from) || !Number.isInteger(to) || to < from || to - from > 100_000) continue;
    for (let i = from; i <= to; i++) out.push(`${m[1]}_${i}`);
  }
  return out;
}

/** Whether a command's failure only says the job ids are unknown (purged, or never existed). */
export function isInvalidJobId(stderr: string): boolean {
  return /Invalid job id specified/i.test(stderr);
}

/** sacct on a cluster without accounting storage. */
export function isAccountingDisabled(stderr: string): boolean {
  return /accounting storage is disabled|slurmdbd|Problem talking to the database|Connection refused/i.test(stderr);
}
