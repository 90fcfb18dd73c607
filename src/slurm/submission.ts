import * as path from 'node:path';
import type { StoreLayout } from '../store/paths';
import type { ExperimentRef } from '../store/records';
import { appendRunEvents, createQueuedRun, freeRunIds } from '../store/scheduled-runs';
import type { SlurmProfile } from './profiles';
import { outputFile, outputPattern, sbatchScript } from './sbatch-script';
import type { Slurm } from './slurm-cli';

/**
 * A submission in two steps: plan (run ids, the sbatch script: what the user is shown) and submit (the runs
 * are created `queued`, the script written to the first run's directory, sbatch run, each run given its
 * job id). No `vscode` import.
 */
export interface SubmissionRequest {
  layout: StoreLayout;
  profile: SlurmProfile;
  runnerDir: string;
  cwd: string;
  python: string;
  /** The submitting host (run.json's host until the job's process says where it runs). */
  host: string;
  /** The file the runs record as their script: a training file, or a tune spec. */
  target: string;
  experiment: ExperimentRef;
  jobName: string;
  /** One per run: what follows `python -m mlwb` for it, and the arguments its run.json records. */
  tasks: { name?: string; argv: (runId: string) => string[]; args: string[] }[];
}

export interface SubmissionPlan {
  request: SubmissionRequest;
  runIds: string[];
  /** Where the script goes: `runs/<first id>/slurm.sbatch`. */
  scriptFile: string;
  script: string;
  output: string;
}

export interface Submitted {
  jobId: string;
  runs: { id: string; jobId: string; output: string }[];
  scriptFile: string;
}

/** How a run was submitted (run.json's metadata.slurm), for a rerun; undefined for a run that was not. */
export function slurmOrigin(metadata: Record<string, unknown> | undefined): { profile: string; runner: 'run' | 'tune' } | undefined {
  const slurm = metadata?.slurm as { profile?: unknown; runner?: unknown } | undefined;
  if (typeof slurm?.profile !== 'string') return undefined;
  return { profile: slurm.profile, runner: slurm.runner === 'tune' ? 'tune' : 'run' };
}

/** Task counts above this are almost surely a typo in a grid. */
export const MAX_TASKS = 1000;

export function planSubmission(request: SubmissionRequest): SubmissionPlan {
  const n = request.tasks.length;
  if (n === 0) throw new Error('nothing to submit');
  if (n > MAX_TASKS) throw new Error(`${n} runs in one submission: at most ${MAX_TASKS}`);
  const runIds = freeRunIds(request.layout, n);
  const firstDir = path.join(request.layout.root, 'runs', runIds[0]);
  const output = outputPattern(firstDir, n > 1);
  const script = sbatchScript({
    profile: request.profile, jobName: request.jobName, storeDir: request.layout.root, runnerDir: request.runnerDir, cwd: request.cwd,
    python: request.python, output, tasks: request.tasks.map((t, i) => ({ runId: runIds[i], argv: t.argv(runIds[i]) })),
  });
  return { request, runIds, scriptFile: path.join(firstDir, 'slurm.sbatch'), script, output };
}

/** Creates the runs, writes the script and runs sbatch. If sbatch fails, every run is marked failed with its message. */
export async function submitPlan(plan: SubmissionPlan, slurm: Slurm, writeFile: (file: string, text: string) => void): Promise<Submitted> {
  const { request: req, runIds } = plan;
  const created = Date.now() / 1000;
  const array = runIds.length > 1;
  runIds.forEach((id, i) => {
    const task = req.tasks[i];
    createQueuedRun(req.layout, id, {
      name: task.name ?? `${req.experiment.name}-${id.slice(-6)}`,
      experiment: req.experiment,
      created,
      script: { path: req.target },
      argv: [req.target, ...task.args],
      cwd: req.cwd,
      host: req.host,
      pid: 0,
      metadata: { slurm: { profile: req.profile.name, runner: task.argv(id)[0], script: plan.scriptFile, ...(array ? { array_index: i } : {}) } },
    });
  });
  let jobId: string;
  try {
    writeFile(plan.scriptFile, plan.script);
    jobId = await slurm.submit(plan.scriptFile, req.cwd);
  } catch (err) {
    const error = `Slurm: submission failed: ${(err as Error).message}`;
    for (const id of runIds) appendRunEvents(req.layout, id, [{ t: 'status', status: 'failed', error }]);
    throw err;
  }
  const runs = runIds.map((id, i) => ({
    id,
    jobId: array ? `${jobId}_${i}` : jobId,
    output: outputFile(plan.output, jobId, i),
  }));
  for (const r of runs) {
    appendRunEvents(req.layout, r.id, [{ t: 'scheduler', scheduler: 'slurm', job_id: r.jobId, state: 'PENDING', output: r.output }]);
  }
  return { jobId, runs, scriptFile: plan.scriptFile };
}
