import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSafeRunId } from '../../store/paths';

/**
 * A run's code snapshot, as the runner writes it (python-runner/mlwb/_code_snapshot.py): `runs/<id>/code.json` lists
 * the script and the workspace's Python files it imported; each content is `code/<sha[:2]>/<sha256>` in the store.
 * No `vscode` here.
 */
export interface CodeFile {
  path: string;
  sha256: string;
  size: number;
}

export interface CodeManifest {
  root: string;
  files: CodeFile[];
  capped?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The run's code.json, or undefined when the run has none (or it is not one). Untrusted: checked. */
export function readCodeManifest(storeRoot: string, runId: string): CodeManifest | undefined {
  return readListing(storeRoot, runId, 'code.json');
}

/** The run's inputs.json: the workspace data files it read (python-runner/mlwb/_data_inputs.py), same shape. */
export function readDataInputs(storeRoot: string, runId: string): CodeManifest | undefined {
  return readListing(storeRoot, runId, 'inputs.json');
}

function readListing(storeRoot: string, runId: string, name: 'code.json' | 'inputs.json'): CodeManifest | undefined {
  if (!isSafeRunId(runId)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(storeRoot, 'runs', runId, name), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as CodeManifest).files)) return undefined;
  const d = doc as Record<string, unknown>;
  const files = (d.files as unknown[]).filter(
    (f): f is CodeFile => typeof f === 'object' && f !== null && typeof (f as CodeFile).path === 'string' && SHA256.test(String((f as CodeFile).sha256)) && typeof (f as CodeFile).size === 'number',
  );
  return { root: typeof d.root === 'string' ? d.root : '', files, ...(typeof d.capped === 'string' ? { capped: d.capped } : {}) };
}

export function blobPath(storeRoot: string, sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return path.join(storeRoot, 'code', sha256.slice(0, 2), sha256);
}

/** The files whose content differs between two snapshots (or that only one has), by path. */
export function codeChanges(left: CodeManifest, right: CodeManifest): { path: string; left?: string; right?: string }[] {
  const l = new Map(left.files.map((f) => [f.path, f.sha256]));
  const r = new Map(right.files.map((f) => [f.path, f.sha256]));
  return [...new Set([...l.keys(), ...r.keys()])]
    .sort()
    .filter((p) => l.get(p) !== r.get(p))
    .map((p) => ({ path: p, ...(l.has(p) ? { left: l.get(p) } : {}), ...(r.has(p) ? { right: r.get(p) } : {}) }));
}

/** The summary's lines for a snapshot (or data inputs): every path of both sides, with this side's hash (or —). */
export function codeLines(mine: CodeManifest | undefined, theirs: CodeManifest | undefined, none = '(this run kept no code snapshot)'): string[] {
  if (!mine && !theirs) return [];
  const own = new Map((mine?.files ?? []).map((f) => [f.path, f]));
  const paths = [...new Set([...own.keys(), ...(theirs?.files ?? []).map((f) => f.path)])].sort();
  const lines = paths.map((p) => {
    const f = own.get(p);
    return `${p}: ${f ? `sha256 ${f.sha256.slice(0, 12)} · ${f.size} bytes` : '—'}`;
  });
  if (!mine) lines.unshift(none);
  if (mine?.capped) lines.push(`left out: ${mine.capped}`);
  return lines;
}

/** The snapshot's files whose content in the working copy (under `root`) differs now, or that are gone. */
export function workingCopyChanges(manifest: CodeManifest, root: string): { path: string; left: string; exists: boolean }[] {
  const out: { path: string; left: string; exists: boolean }[] = [];
  for (const f of [...manifest.files].sort((a, b) => a.path.localeCompare(b.path))) {
    const abs = path.resolve(root, f.path);
    if (abs !== root && !abs.startsWith(root + path.sep)) continue; // a path that climbs out of the workspace: not ours
    let data: Buffer | undefined;
    try {
      data = fs.readFileSync(abs);
    } catch {
      data = undefined;
    }
    if (data === undefined) out.push({ path: f.path, left: f.sha256, exists: false });
    else if (createHash('sha256').update(data).digest('hex') !== f.sha256) out.push({ path: f.path, left: f.sha256, exists: true });
  }
  return out;
}
