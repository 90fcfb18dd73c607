import * as path from 'node:path';
import type { TrackingStore } from '../store';

/**
 * What an explanation is of, and where it is stored: a registered version (its directory's
 * explain/), a run (<run>/files/explain/, through the runner's --run), or a model file outside
 * both (the store's explanations/ directory). No `vscode` import.
 */
export type ExplainSubject =
  | { kind: 'version'; model: string; version: number; modelFile: string; outDir: string; title: string; sourceRun?: string }
  | { kind: 'run'; run: string; modelFile?: string; title: string }
  | { kind: 'file'; modelFile: string; outDir: string; title: string };

export const EXPLAIN_FILE = 'explain.json';

/** Model files the runner can explain (sklearn/xgboost pickles and joblib, XGBoost JSON/UBJ). */
export const EXPLAINABLE_EXTENSIONS = ['pkl', 'pickle', 'joblib', 'json', 'ubj'];

/** Formats that are not code when loaded; anything else goes through pickle/joblib. */
const SAFE_EXTENSIONS = new Set(['.json', '.ubj', '.xgb', '.bst']);

export function isPickleLike(file: string): boolean {
  return !SAFE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

export function isExplainableFile(rel: string): boolean {
  const ext = path.extname(rel).slice(1).toLowerCase();
  return EXPLAINABLE_EXTENSIONS.includes(ext) && path.basename(rel) !== EXPLAIN_FILE && !rel.startsWith('explain/');
}

export function runFilesDir(store: TrackingStore, run: string): string {
  return path.join(store.layout.root, 'runs', run, 'files');
}

/** Where a subject's explain.json is (or will be). */
export function explanationPath(store: TrackingStore, s: ExplainSubject): string {
  return s.kind === 'run' ? path.join(runFilesDir(store, s.run), 'explain', EXPLAIN_FILE) : path.join(s.outDir, EXPLAIN_FILE);
}

export function versionSubject(store: TrackingStore, model: string, version: number): ExplainSubject {
  const v = store.getVersion(model, version);
  if (!v) throw new Error(`No version v${version} of model "${model}".`);
  if (v.fileMissing) throw new Error(`The file of ${model} v${version} is missing (${v.filePath}).`);
  // A version's directory holds its file; its explanation goes next to it.
  return { kind: 'version', model, version, modelFile: v.filePath, outDir: path.join(path.dirname(v.filePath), 'explain'), title: `${model} v${version}`, sourceRun: v.sourceRun };
}

/**
 * A model file given by path: a run's file is explained with its run, a registered copy with its
 * version, anything else into the store's explanations/<name>-<hash>/.
 */
export function fileSubject(store: TrackingStore, file: string): ExplainSubject {
  const abs = path.resolve(file);
  const runs = path.join(store.layout.root, 'runs') + path.sep;
  if (abs.startsWith(runs)) {
    const [run, files] = abs.slice(runs.length).split(path.sep);
    if (run && files === 'files' && store.getRun(run, { logLimit: 0 })) return { kind: 'run', run, modelFile: abs, title: store.getRun(run, { logLimit: 0 })!.name };
  }
  for (const m of store.listModels()) {
    for (const v of store.listVersions(m.name)) {
      if (path.resolve(store.layout.root, v.path) === abs) return versionSubject(store, m.name, v.version);
    }
  }
  const stem = path.basename(abs).replace(/[^\w.-]+/g, '_');
  return { kind: 'file', modelFile: abs, outDir: path.join(store.layout.root, 'explanations', `${stem}-${hash(abs)}`), title: path.basename(abs) };
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The columns of a CSV's header line (RFC 4180 quoting). */
export function csvHeader(firstLine: string): string[] {
  const line = firstLine.replace(/^\uFEFF/, '').replace(/\r?\n[\s\S]*$/, '');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((c, i) => c !== '' || i < out.length - 1);
}

/** The column that is most likely the label: a conventional name, else the last column. */
export function likelyTarget(columns: readonly string[]): string | undefined {
  return columns.find((c) => /^(target|label|labels|y|class|outcome|species)$/i.test(c)) ?? columns[columns.length - 1];
}
