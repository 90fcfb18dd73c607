import * as path from 'node:path';
import type { TuningDirection } from '../store/records';
import type { TuningStudy } from './model';

/**
 * What "Tune Hyperparameters…" and "Train with Best Params" hand to the runner (`python -m mlwb tune …`,
 * see python-runner/mlwb/_tune_cli.py). No `vscode` import.
 */

export const SAMPLERS = ['auto', 'tpe', 'random', 'grid', 'cmaes', 'nsga2'] as const;
export type SamplerName = (typeof SAMPLERS)[number];
export const PRUNERS = ['median', 'percentile', 'halving', 'hyperband', 'none'] as const;
export type PrunerName = (typeof PRUNERS)[number];

/** Options of a tuning launch; each one given overrides the spec (or the script's @tune.objective defaults). */
export interface TuneOptions {
  sampler?: SamplerName;
  nTrials?: number;
  timeout?: number;
  nJobs?: number;
  seed?: number;
  direction?: TuningDirection;
  pruner?: PrunerName;
  /** Cross-validation folds and scoring: for a built-in model, or given to an objective `(trial, spec)`. */
  cv?: number;
  scoring?: string;
  studyName?: string;
}

/** `train.tune.json`, `rf.tune.yaml`: files the Tune command runs as specs (and the JSON schema validates). */
export function isTuneSpecFile(file: string): boolean {
  return /\.tune\.(json|ya?ml)$/i.test(file);
}

/** Options the runner takes on its command line (the others need a spec: see `generatedSpec`). */
const CLI_FLAGS: [keyof TuneOptions, string][] = [
  ['nTrials', '--n-trials'], ['timeout', '--timeout'], ['sampler', '--sampler'], ['nJobs', '--n-jobs'], ['seed', '--seed'], ['studyName', '--study-name'],
];

/** `tune` arguments: the spec and/or script, then the options the command line carries. */
export function tuneRunnerArgs(target: { spec?: string; script?: string }, options: TuneOptions = {}): string[] {
  if (!target.spec && !target.script) throw new Error('a tuning launch needs a spec or a script');
  const args: string[] = [];
  if (target.spec) args.push('--spec', target.spec);
  if (target.script) args.push('--script', target.script);
  for (const [key, flag] of CLI_FLAGS) {
    const v = options[key];
    if (v !== undefined && v !== '') args.push(flag, String(v));
  }
  return args;
}

/** Whether the options need a spec file (direction, pruner, cv and scoring have no command-line flag). */
export function needsSpec(options: TuneOptions): boolean {
  return options.direction !== undefined || options.pruner !== undefined || options.cv !== undefined || options.scoring !== undefined;
}

/**
 * A spec for a script's objective with the chosen options (written next to the store so the session's
 * config names a file that says exactly what was tuned).
 */
export function generatedSpec(script: string, options: TuneOptions, schemaPath?: string): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (schemaPath) spec.$schema = schemaPath;
  spec.study_name = options.studyName ?? path.basename(script).replace(/\.py$/i, '');
  spec.script = script;
  if (options.direction) spec.direction = options.direction;
  if (options.sampler) spec.sampler = options.sampler;
  if (options.seed !== undefined) spec.seed = options.seed;
  if (options.nTrials !== undefined) spec.n_trials = options.nTrials;
  if (options.timeout !== undefined) spec.timeout = options.timeout;
  if (options.nJobs !== undefined) spec.n_jobs = options.nJobs;
  if (options.pruner) spec.pruner = options.pruner;
  if (options.cv !== undefined) spec.cv = options.cv;
  if (options.scoring) spec.scoring = options.scoring;
  return spec;
}

/** A starting spec for a script (Create Spec File…): every key the user is likely to edit, with the schema. */
export function starterSpec(script: string, specDir: string, schemaRef: string): Record<string, unknown> {
  return {
    $schema: schemaRef,
    study_name: path.basename(script).replace(/\.py$/i, ''),
    script: path.relative(specDir, script).split(path.sep).join('/'),
    direction: 'maximize',
    sampler: 'tpe',
    seed: 0,
    n_trials: 30,
    timeout: 600,
    n_jobs: 1,
    pruner: 'median',
    cv: 5,
    scoring: 'accuracy',
  };
}

export type ScriptKind = 'objective' | 'optuna' | 'none';

/**
 * What a Python file offers to tune: an objective function (`def objective(trial…)` or `@tune.objective`),
 * its own optuna study (`optuna.create_study(...).optimize(...)`: run it, its trials are captured), or nothing.
 */
export function scriptKind(text: string): ScriptKind {
  if (/@\s*(mlwb\.)?tune\.objective\b/.test(text) || /^\s*def\s+objective\s*\(/m.test(text)) return 'objective';
  if (/\boptuna\b/.test(text) && /\.optimize\s*\(/.test(text)) return 'optuna';
  return 'none';
}

export interface TrainPlan {
  args: string[];
  /** The file the terminal is named after and the run records. */
  target: string;
  trial: number;
  params: Record<string, unknown>;
}

/**
 * "Train with Best Params": `tune --spec … [--script …] --params {best} --from <session>#<trial>`. The runner
 * calls the script's objective once with a fixed trial (or fits the spec's built-in model on all its data
 * and saves it). Returns why not when the session cannot be retrained that way.
 */
export function trainPlan(study: TuningStudy, runScript?: string): TrainPlan | { reason: string } {
  if (study.directions.length !== 1) return { reason: 'a multi-objective study has no single best trial: pick one on the Pareto front and copy its params' };
  const best = study.trials.find((t) => t.number === study.bestTrials[0]);
  if (!best) return { reason: 'no trial has completed yet' };
  if (study.source !== 'mlwb') {
    return {
      reason:
        study.source === 'optuna'
          ? 'this session was captured from a script that runs its own optuna study: give it an objective function (def objective(trial)) to retrain it from here, or copy the params'
          : 'a study read from a file has no script to run: copy the params',
    };
  }
  const cfg = study.config ?? {};
  const spec = typeof cfg.spec === 'string' ? cfg.spec : undefined;
  const script = typeof cfg.script === 'string' ? cfg.script : runScript && runScript.endsWith('.py') ? runScript : undefined;
  if (!spec && !script) return { reason: 'the session does not say which spec or script it tuned' };
  const args = [...tuneRunnerArgs({ spec, script }), '--params', JSON.stringify(best.params), '--from', `${study.id}#${best.number}`];
  return { args, target: script ?? spec!, trial: best.number, params: best.params };
}

/** Run params of a run trained by Train with Best Params (see _tune_cli.py). */
export function trainedFrom(params: Record<string, unknown>): { session: string; trial?: number } | undefined {
  const session = params['tuned.session'];
  if (typeof session !== 'string') return undefined;
  const trial = params['tuned.trial'];
  return { session, ...(typeof trial === 'number' ? { trial } : {}) };
}
