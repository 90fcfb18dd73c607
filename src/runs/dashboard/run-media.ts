/**
 * The dashboard's Figures and Reports, from a run's files (no `vscode`): which files they are, an image's bytes as
 * a data URL (the webview reads no file), and the report JSON the runner writes
 * (python-runner/mlwb/capture/_sklearn_metrics.py), validated like any input read from disk.
 */
import { readFileSync, statSync } from 'node:fs';
import type { RunFile } from '../../store/query-types';
import type { ClassificationRow, FigureImage, FigureRef, RunReport } from './contract';

export const MAX_FIGURE_BYTES = 8 * 1024 * 1024;
export const MAX_REPORT_BYTES = 1024 * 1024;
const MAX_LABELS = 200;
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif' };

function extension(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1).toLowerCase();
}

/** A file's version: it changes whenever the run saves the file again. */
export function fileVersion(f: RunFile): string {
  return `${f.id}:${f.sha256 ?? f.size ?? ''}:${f.updated ?? f.created ?? ''}`;
}

/** The run's raster images (the runner's captured figures, and any PNG/JPEG/GIF the script saved), oldest first. */
export function figureRefs(files: readonly RunFile[]): FigureRef[] {
  return files
    .filter((f) => extension(f.path) in IMAGE_TYPES)
    .sort((a, b) => (a.created ?? 0) - (b.created ?? 0) || a.path.localeCompare(b.path))
    .map((f) => {
      const title = typeof f.meta?.title === 'string' && f.meta.title ? f.meta.title : undefined;
      return { path: f.path, version: fileVersion(f), size: f.size, ...(title ? { title } : {}) };
    });
}

export function isReportFile(f: RunFile): boolean {
  return f.tags.includes('report') && extension(f.path) === 'json';
}

/** An image file (`locate` gives its path, or throws for one outside the run) as a data URL; too large or
 * unreadable: a reason instead (the webview offers Open). */
export function figureImage(ref: FigureRef, locate: () => string): FigureImage {
  try {
    const absolutePath = locate();
    const size = statSync(absolutePath).size;
    if (size > MAX_FIGURE_BYTES) return { path: ref.path, version: ref.version, error: `too large to show here (${(size / 2 ** 20).toFixed(1)} MB)` };
    const bytes = readFileSync(absolutePath);
    return { path: ref.path, version: ref.version, dataUrl: `data:${IMAGE_TYPES[extension(ref.path)]};base64,${bytes.toString('base64')}` };
  } catch (err) {
    return { path: ref.path, version: ref.version, error: `could not read it: ${(err as Error).message}` };
  }
}

/** A report file read from disk, validated: a report the dashboard can show, or what is wrong with it. */
export function readReport(path: string, locate: () => string): RunReport {
  try {
    const absolutePath = locate();
    const size = statSync(absolutePath).size;
    if (size > MAX_REPORT_BYTES) return { kind: 'invalid', path, error: `larger than ${MAX_REPORT_BYTES / 2 ** 20} MB` };
    return parseReport(path, readFileSync(absolutePath, 'utf8'));
  } catch (err) {
    return { kind: 'invalid', path, error: `could not read it: ${(err as Error).message}` };
  }
}

class Invalid extends Error {}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function text(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v.length > 500) throw new Invalid(`"${name}" must be a string`);
  return v;
}

/** A number or null (the runner writes NaN as null). */
function num(v: unknown, what: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid(`${what} must be a number`);
  return v;
}

function label(v: unknown): string {
  if (typeof v === 'string') return v.slice(0, 200);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Invalid('labels must be strings or numbers');
}

export function parseReport(path: string, json: string): RunReport {
  try {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (err) {
      throw new Invalid(`not JSON: ${(err as Error).message}`);
    }
    if (!isObject(raw)) throw new Invalid('not a JSON object');
    if (raw.version !== 1) throw new Invalid(`report version ${JSON.stringify(raw.version)} is not 1 (update the extension)`);
    const head = { path, dataset: text(raw, 'dataset'), estimator: text(raw, 'estimator') };
    if (raw.kind === 'classification_report') return { kind: 'classification_report', ...head, ...classification(raw.report) };
    if (raw.kind === 'confusion_matrix') return { kind: 'confusion_matrix', ...head, ...confusion(raw) };
    throw new Invalid(`unknown report kind ${JSON.stringify(raw.kind)}`);
  } catch (err) {
    if (err instanceof Invalid) return { kind: 'invalid', path, error: err.message };
    throw err;
  }
}

function classification(report: unknown): { rows: ClassificationRow[]; accuracy?: number } {
  if (!isObject(report)) throw new Invalid('"report" must be an object');
  const rows: ClassificationRow[] = [];
  let accuracy: number | undefined;
  for (const [name, v] of Object.entries(report)) {
    if (name === 'accuracy' && typeof v === 'number') {
      accuracy = num(v, 'accuracy') ?? undefined;
      continue;
    }
    if (!isObject(v)) throw new Invalid(`row ${JSON.stringify(name.slice(0, 40))} must be an object`);
    rows.push({
      label: name.slice(0, 200),
      average: name.endsWith(' avg'),
      precision: num(v.precision ?? null, 'precision'),
      recall: num(v.recall ?? null, 'recall'),
      f1: num(v['f1-score'] ?? null, 'f1-score'),
      support: num(v.support ?? null, 'support'),
    });
  }
  if (rows.length > MAX_LABELS + 3) throw new Invalid(`more than ${MAX_LABELS} classes`);
  return accuracy === undefined ? { rows } : { rows, accuracy };
}

function confusion(raw: Record<string, unknown>): { labels: string[]; matrix: number[][]; normalized: boolean } {
  const { labels, matrix } = raw;
  if (!Array.isArray(labels) || labels.length === 0 || labels.length > MAX_LABELS) throw new Invalid(`"labels" must list 1 to ${MAX_LABELS} labels`);
  if (!Array.isArray(matrix) || matrix.length !== labels.length) throw new Invalid('"matrix" must have one row per label');
  const rows = matrix.map((row, i) => {
    if (!Array.isArray(row) || row.length !== labels.length) throw new Invalid(`row ${i} of "matrix" must have one value per label`);
    return row.map((v) => num(v, 'a matrix value') ?? 0);
  });
  return { labels: labels.map(label), matrix: rows, normalized: typeof raw.normalize === 'string' };
}
