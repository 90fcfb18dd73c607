import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelVersionDetail, ModelVersionSummary, TrackingStore } from '../store';
import { runFilePath } from '../store';
import type { SignatureColumn } from '../store/records';

/**
 * A version's input signature and whether a challenger's is compatible with Production's. No `vscode` import.
 * Where a signature comes from: the one recorded with the version (`version.signature`), else the source run's
 * `autolog/signature.json` (sklearn autolog: the training data's columns).
 */
export interface VersionSignature {
  columns: SignatureColumn[];
  source: string;
}

export function versionSignature(store: TrackingStore, v: ModelVersionSummary): VersionSignature | undefined {
  if (v.signature) return { columns: v.signature.columns, source: v.signature.source };
  if (!v.sourceRun) return undefined;
  const file = runFilePath(store.layout, v.sourceRun, 'autolog/signature.json');
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { columns?: unknown; source?: unknown };
    if (!Array.isArray(raw.columns)) return undefined;
    const columns = raw.columns.filter((c): c is SignatureColumn => typeof c === 'object' && c !== null && typeof c.name === 'string' && typeof c.type === 'string');
    return { columns, source: `the source run's ${typeof raw.source === 'string' ? raw.source : 'training data'} (autolog)` };
  } catch {
    return undefined;
  }
}

const NUMERIC = new Set(['integer', 'float', 'boolean']);

/**
 * Can the challenger take the requests Production takes? Every column the challenger needs must be one
 * Production takes, with a type it accepts (an integer column where a float was: fine; text where a number
 * was: not), and a column Production never sent nulls in stays so. Columns Production takes that the
 * challenger ignores are fine (the server ignores extras).
 */
export function signatureCompatibility(production: VersionSignature | undefined, challenger: VersionSignature | undefined): { compatible: boolean; problems: string[]; checked: boolean } {
  if (!production || !challenger) {
    return { compatible: true, checked: false, problems: [] };
  }
  const prod = new Map(production.columns.map((c) => [c.name, c]));
  const problems: string[] = [];
  for (const c of challenger.columns) {
    const p = prod.get(c.name);
    if (!p) {
      problems.push(`${c.name}: the challenger needs it, Production's inputs do not have it`);
      continue;
    }
    if (p.type !== c.type && !(c.type === 'float' && NUMERIC.has(p.type)) && !(c.type === 'category' && p.type === 'string') && !(c.type === 'string' && p.type === 'category')) {
      problems.push(`${c.name}: ${p.type} in Production, ${c.type} in the challenger`);
    }
    if (p.nullable && c.nullable === false) problems.push(`${c.name}: Production accepts nulls, the challenger does not`);
  }
  return { compatible: problems.length === 0, checked: true, problems };
}

/** A version's recorded signature as `serve` / `smoke --signature` read it, next to the version's file (rewritten each time). */
export function writeSignature(v: ModelVersionDetail): string {
  if (!v.signature) throw new Error(`${v.model} v${v.version} has no recorded signature`);
  const file = path.join(path.dirname(v.filePath), 'signature.json');
  fs.writeFileSync(file, `${JSON.stringify({ format: 1, columns: v.signature.columns, source: v.signature.source })}\n`);
  return file;
}
