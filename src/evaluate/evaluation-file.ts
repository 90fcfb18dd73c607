import { isRecord } from '../platform/webview-contract';
import type { Comparison, Evaluation, EvaluationPanelData } from './contract';

/**
 * Reads the runner's evaluation.json / comparison.json (format 1, see python-runner/mlwb/EVALUATION.md)
 * into what the panel and the promotion gate use. A file this version cannot read is an error in
 * words, never a half-drawn panel. No `vscode` import.
 */
export class EvaluationFileError extends Error {}

const TASKS = ['binary', 'multiclass', 'regression'] as const;

export type EvaluationFile = { kind: 'evaluation'; evaluation: Evaluation } | { kind: 'comparison'; a: Evaluation; b: Evaluation; comparison: Comparison };

export function readEvaluationText(text: string): EvaluationFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new EvaluationFileError(`not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(raw)) throw new EvaluationFileError('not an evaluation: the file is not a JSON object');
  if (raw.format !== 1) throw new EvaluationFileError(`format ${JSON.stringify(raw.format)} is not one this version reads (1)`);
  if (isRecord(raw.a) && isRecord(raw.b)) {
    const a = checkEvaluation(raw.a, 'a');
    const b = checkEvaluation(raw.b, 'b');
    if ((a.task === 'regression') !== (b.task === 'regression')) throw new EvaluationFileError('a comparison of a classifier with a regressor');
    return { kind: 'comparison', a, b, comparison: checkComparison(raw, a) };
  }
  return { kind: 'evaluation', evaluation: checkEvaluation(raw, '') };
}

function checkEvaluation(raw: Record<string, unknown>, where: string): Evaluation {
  const at = (field: string) => (where ? `${where}.${field}` : field);
  if (!TASKS.includes(raw.task as never)) throw new EvaluationFileError(`${at('task')} is ${JSON.stringify(raw.task)}, not binary, multiclass or regression`);
  if (typeof raw.main_metric !== 'string') throw new EvaluationFileError(`${at('main_metric')} is missing`);
  const metrics = numberMap(raw.metrics, at('metrics'));
  const task = raw.task as Evaluation['task'];
  if (task !== 'regression') {
    const c = raw.confusion;
    if (!isRecord(c) || !Array.isArray(c.labels) || !Array.isArray(c.counts)) throw new EvaluationFileError(`${at('confusion')} is missing`);
    if (!isRecord(raw.curves)) throw new EvaluationFileError(`${at('curves')} is missing`);
  } else if (!isRecord(raw.regression)) throw new EvaluationFileError(`${at('regression')} is missing`);
  return {
    ...(raw as unknown as Evaluation),
    task,
    model: isRecord(raw.model) ? (raw.model as Evaluation['model']) : {},
    data: isRecord(raw.data) ? (raw.data as Evaluation['data']) : {},
    metrics,
    functions: isRecord(raw.functions) ? (raw.functions as Record<string, string>) : {},
    higher_is_better: raw.higher_is_better !== false,
  };
}

function checkComparison(raw: Record<string, unknown>, a: Evaluation): Comparison {
  const out: Comparison = {
    main_metric: typeof raw.main_metric === 'string' ? raw.main_metric : a.main_metric,
    higher_is_better: raw.higher_is_better !== false,
    delta: numberMap(raw.delta ?? {}, 'delta'),
  };
  if (isRecord(raw.bootstrap)) out.bootstrap = raw.bootstrap as unknown as Comparison['bootstrap'];
  if (isRecord(raw.mcnemar)) out.mcnemar = raw.mcnemar as unknown as Comparison['mcnemar'];
  return out;
}

function numberMap(raw: unknown, where: string): Record<string, number> {
  if (!isRecord(raw)) throw new EvaluationFileError(`${where} is not an object`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** What the panel is sent: sides named from the file (model class and file name) unless given. */
export function panelData(file: EvaluationFile, path: string, title: string, names?: [string, string?]): EvaluationPanelData {
  const name = (e: Evaluation, fallback: string) => e.model.path?.split(/[\\/]/).pop() ?? fallback;
  if (file.kind === 'evaluation') return { title, path, sides: [{ name: names?.[0] ?? name(file.evaluation, 'model'), evaluation: file.evaluation }] };
  return {
    title,
    path,
    sides: [
      { name: names?.[0] ?? `A: ${name(file.a, 'model A')}`, evaluation: file.a },
      { name: names?.[1] ?? `B: ${name(file.b, 'model B')}`, evaluation: file.b },
    ],
    comparison: file.comparison,
  };
}

/** The metrics to tabulate, main metric first, then the rest in the runner's order. */
export function metricRows(sides: readonly { evaluation: Evaluation }[]): string[] {
  const names: string[] = [];
  for (const s of sides) for (const k of Object.keys(s.evaluation.metrics)) if (!names.includes(k)) names.push(k);
  const main = sides[0]?.evaluation.main_metric;
  return main && names.includes(main) ? [main, ...names.filter((n) => n !== main)] : names;
}

/** Lower is better for losses and errors; the rest (accuracy, AUC, R²…) higher. */
export function higherIsBetter(metric: string): boolean {
  return !/(^|_)(log_loss|brier|mae|rmse|mse|mape|median_ae|error|loss)($|_)/.test(metric);
}
