import type { ModelSummary, ModelVersionSummary } from '../store';

/** The Models view's elements and how commands read their targets (no `vscode`). */

export interface ModelNode {
  kind: 'model';
  model: ModelSummary;
}

export interface VersionNode {
  kind: 'version';
  version: ModelVersionSummary;
}

export type ModelsNode = ModelNode | VersionNode;

export interface VersionRef {
  model: string;
  version: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A version a command was given: a tree node, `{ model, version }` (a summary is one), or "model@3" / "model@v3". */
export function versionRefOf(x: unknown): VersionRef | undefined {
  if (typeof x === 'string') {
    const m = /^(.+)@v?([1-9][0-9]*)$/.exec(x);
    return m ? { model: m[1], version: Number(m[2]) } : undefined;
  }
  if (!isRecord(x)) return undefined;
  if (x.kind === 'version') return versionRefOf(x.version);
  if (typeof x.model === 'string' && typeof x.version === 'number' && Number.isInteger(x.version) && x.version > 0) return { model: x.model, version: x.version };
  return undefined;
}

/** A model a command was given: its name, a model node, `{ model: name }`, or any of its versions. */
export function modelNameOf(x: unknown): string | undefined {
  if (typeof x === 'string' && x !== '') return x;
  if (!isRecord(x)) return undefined;
  if (x.kind === 'model' && isRecord(x.model) && typeof x.model.name === 'string') return x.model.name;
  if (typeof x.model === 'string' && x.model !== '') return x.model;
  return versionRefOf(x)?.model;
}

/** The option bag commands accept after their target ({ confirm: false } and values), ignoring arrays (multi-select args). */
export function optionsOf<T extends object>(x: unknown): Partial<T> {
  return isRecord(x) ? (x as Partial<T>) : {};
}
