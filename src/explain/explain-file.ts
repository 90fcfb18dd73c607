/**
 * explain.json ("mlwb.explain/1", written by `python -m mlwb explain`): its shape, and a validating
 * reader. The file is read from disk, so it is untrusted: a missing or mistyped field is an
 * ExplainFileError naming the field, never a crash further on. Non-finite numbers arrive as the
 * strings "NaN", "Infinity" and "-Infinity" (the store's convention) and become numbers here.
 * No `vscode` import.
 */

export const EXPLAIN_SCHEMA = 'mlwb.explain/1';

/** A feature value of a row: numbers for numeric columns, strings (or booleans) for categorical ones. */
export type Cell = number | string | boolean | null;

export interface ShapOutput {
  name: string;
  baseValue: number;
  /** rows × features */
  values: number[][];
  prediction: number[];
  meanAbs: number[];
}

export interface ImportanceEntry {
  feature: string;
  index: number;
  meanAbsShap: number;
  meanAbsShapByOutput: number[];
  permutationMean?: number;
  permutationStd?: number;
}

export interface PartialDependence {
  feature: string;
  index: number;
  grid: number[];
  space?: string;
  outputs: { name: string; average: number[]; individual: number[][] }[];
}

export interface ExplainFile {
  schema: typeof EXPLAIN_SCHEMA;
  metadata: {
    model: { type?: string; library?: string; path?: string };
    task?: string;
    classes?: Cell[] | null;
    featureNames: string[];
    method: string;
    algorithm: string;
    outputSpace: string;
    outputNames: string[];
    rows: number;
    dataRows?: number;
    /** The data rows (0-based, in the CSV) the SHAP rows are; absent in hand-made files. */
    rowIndices?: number[];
    localAccuracyMaxError?: number;
    created?: number;
    data?: { path?: string; target?: string | null };
    run?: string;
    notes: string[];
    warnings: string[];
    timing?: Record<string, number>;
    versions?: Record<string, string>;
  };
  shap: { featureValues: Cell[][]; outputs: ShapOutput[] };
  importance: ImportanceEntry[];
  permutationImportance: { scoring?: string; nRepeats?: number; baselineScore?: number; mean: number[]; std: number[] } | null;
  permutationSkipped?: string | null;
  partialDependence: PartialDependence[];
}

export class ExplainFileError extends Error {}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

type Json = unknown;
const isRecord = (x: Json): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);

function fail(path: string, what: string): never {
  throw new ExplainFileError(`explain.json: ${path} ${what}`);
}

function obj(x: Json, path: string): Record<string, Json> {
  if (!isRecord(x)) fail(path, 'must be an object');
  return x;
}

function num(x: Json, path: string): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x in NON_FINITE) return NON_FINITE[x];
  return fail(path, 'must be a number');
}

function optNum(x: Json, path: string): number | undefined {
  return x === undefined || x === null ? undefined : num(x, path);
}

function str(x: Json, path: string): string {
  if (typeof x !== 'string') fail(path, 'must be a string');
  return x;
}

function optStr(x: Json, path: string): string | undefined {
  return x === undefined || x === null ? undefined : str(x, path);
}

function arr(x: Json, path: string, length?: number): Json[] {
  if (!Array.isArray(x)) fail(path, 'must be a list');
  if (length !== undefined && x.length !== length) fail(path, `must have ${length} entries (has ${x.length})`);
  return x;
}

function nums(x: Json, path: string, length?: number): number[] {
  return arr(x, path, length).map((v, i) => num(v, `${path}[${i}]`));
}

function strs(x: Json, path: string): string[] {
  return arr(x, path).map((v, i) => str(v, `${path}[${i}]`));
}

function cell(x: Json, path: string): Cell {
  if (x === null || typeof x === 'boolean' || typeof x === 'number') return x;
  if (typeof x === 'string') return x in NON_FINITE ? NON_FINITE[x] : x;
  return fail(path, 'must be a number, string, boolean or null');
}

/** Validates a parsed explain.json; throws ExplainFileError saying which field is wrong. */
export function parseExplainFile(raw: Json): ExplainFile {
  const root = obj(raw, 'the file');
  if (root.schema !== EXPLAIN_SCHEMA) {
    fail('"schema"', `is ${JSON.stringify(root.schema)?.slice(0, 60) ?? 'missing'}, expected "${EXPLAIN_SCHEMA}" (written by another version of mlwb?)`);
  }
  const m = obj(root.metadata, 'metadata');
  const featureNames = strs(m.featureNames, 'metadata.featureNames');
  const nFeatures = featureNames.length;
  if (nFeatures === 0) fail('metadata.featureNames', 'is empty');
  const outputNames = strs(m.outputNames, 'metadata.outputNames');
  const model = m.model === undefined ? {} : obj(m.model, 'metadata.model');
  const data = m.data === undefined || m.data === null ? undefined : obj(m.data, 'metadata.data');

  const shap = obj(root.shap, 'shap');
  const featureValues = arr(shap.featureValues, 'shap.featureValues').map((row, r) =>
    arr(row, `shap.featureValues[${r}]`, nFeatures).map((v, j) => cell(v, `shap.featureValues[${r}][${j}]`)),
  );
  const rows = featureValues.length;
  const outputs = arr(shap.outputs, 'shap.outputs').map((o, k): ShapOutput => {
    const p = `shap.outputs[${k}]`;
    const out = obj(o, p);
    return {
      name: str(out.name, `${p}.name`),
      baseValue: num(out.baseValue, `${p}.baseValue`),
      values: arr(out.values, `${p}.values`, rows).map((row, r) => nums(row, `${p}.values[${r}]`, nFeatures)),
      prediction: nums(out.prediction, `${p}.prediction`, rows),
      meanAbs: nums(out.meanAbs, `${p}.meanAbs`, nFeatures),
    };
  });
  if (outputs.length === 0) fail('shap.outputs', 'is empty');

  const importance = arr(root.importance, 'importance').map((e, i): ImportanceEntry => {
    const p = `importance[${i}]`;
    const entry = obj(e, p);
    const index = num(entry.index, `${p}.index`);
    if (!Number.isInteger(index) || index < 0 || index >= nFeatures) fail(`${p}.index`, `must be a feature index below ${nFeatures}`);
    return {
      feature: str(entry.feature, `${p}.feature`),
      index,
      meanAbsShap: num(entry.meanAbsShap, `${p}.meanAbsShap`),
      meanAbsShapByOutput: entry.meanAbsShapByOutput === undefined ? [] : nums(entry.meanAbsShapByOutput, `${p}.meanAbsShapByOutput`),
      permutationMean: optNum(entry.permutationMean, `${p}.permutationMean`),
      permutationStd: optNum(entry.permutationStd, `${p}.permutationStd`),
    };
  });

  let permutationImportance: ExplainFile['permutationImportance'] = null;
  if (root.permutationImportance !== undefined && root.permutationImportance !== null) {
    const pi = obj(root.permutationImportance, 'permutationImportance');
    permutationImportance = {
      scoring: optStr(pi.scoring, 'permutationImportance.scoring'),
      nRepeats: optNum(pi.nRepeats, 'permutationImportance.nRepeats'),
      baselineScore: optNum(pi.baselineScore, 'permutationImportance.baselineScore'),
      mean: nums(pi.mean, 'permutationImportance.mean', nFeatures),
      std: nums(pi.std, 'permutationImportance.std', nFeatures),
    };
  }

  const partialDependence = arr(root.partialDependence ?? [], 'partialDependence').map((e, i): PartialDependence => {
    const p = `partialDependence[${i}]`;
    const pd = obj(e, p);
    const grid = nums(pd.grid, `${p}.grid`);
    return {
      feature: str(pd.feature, `${p}.feature`),
      index: num(pd.index, `${p}.index`),
      grid,
      space: optStr(pd.space, `${p}.space`),
      outputs: arr(pd.outputs, `${p}.outputs`).map((o, k) => {
        const q = `${p}.outputs[${k}]`;
        const out = obj(o, q);
        return {
          name: str(out.name, `${q}.name`),
          average: nums(out.average, `${q}.average`, grid.length),
          individual: arr(out.individual ?? [], `${q}.individual`).map((line, l) => nums(line, `${q}.individual[${l}]`, grid.length)),
        };
      }),
    };
  });

  return {
    schema: EXPLAIN_SCHEMA,
    metadata: {
      model: { type: optStr(model.type, 'metadata.model.type'), library: optStr(model.library, 'metadata.model.library'), path: optStr(model.path, 'metadata.model.path') },
      task: optStr(m.task, 'metadata.task'),
      classes: m.classes === undefined || m.classes === null ? null : arr(m.classes, 'metadata.classes').map((c, i) => cell(c, `metadata.classes[${i}]`)),
      featureNames,
      method: str(m.method, 'metadata.method'),
      algorithm: str(m.algorithm, 'metadata.algorithm'),
      outputSpace: str(m.outputSpace, 'metadata.outputSpace'),
      outputNames,
      rows: num(m.rows, 'metadata.rows'),
      dataRows: optNum(m.dataRows, 'metadata.dataRows'),
      rowIndices: m.rowIndices === undefined || m.rowIndices === null ? undefined : nums(m.rowIndices, 'metadata.rowIndices', rows),
      localAccuracyMaxError: optNum(m.localAccuracyMaxError, 'metadata.localAccuracyMaxError'),
      created: optNum(m.created, 'metadata.created'),
      data: data && { path: optStr(data.path, 'metadata.data.path'), target: optStr(data.target, 'metadata.data.target') ?? null },
      run: optStr(m.run, 'metadata.run'),
      notes: m.notes === undefined || m.notes === null ? [] : strs(m.notes, 'metadata.notes'),
      warnings: m.warnings === undefined || m.warnings === null ? [] : strs(m.warnings, 'metadata.warnings'),
      timing: isRecord(m.timing) ? Object.fromEntries(Object.entries(m.timing).filter(([, v]) => typeof v === 'number')) as Record<string, number> : undefined,
      versions: isRecord(m.versions) ? Object.fromEntries(Object.entries(m.versions).filter(([, v]) => typeof v === 'string')) as Record<string, string> : undefined,
    },
    shap: { featureValues, outputs },
    importance,
    permutationImportance,
    permutationSkipped: optStr(root.permutationSkipped, 'permutationSkipped') ?? null,
    partialDependence,
  };
}

/** Parses the text of explain.json (JSON syntax errors become ExplainFileError too). */
export function readExplainText(text: string): ExplainFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ExplainFileError(`explain.json is not valid JSON: ${(err as Error).message}`);
  }
  return parseExplainFile(raw);
}
