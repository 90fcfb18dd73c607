import { createHash } from 'node:crypto';
import type { ModelStage } from './records';

/** Model names, aliases and where a model's files live. */

export const REGISTRY_DIR = 'registry';
export const REGISTRY_JOURNAL = 'registry/events.jsonl';
export const REGISTRY_LOCK = 'registry/.lock';
export const REGISTRY_MODELS_DIR = 'registry/models';
/** Copies in progress (before they get a version number) and deleted files on their way out. */
export const REGISTRY_TMP_DIR = 'registry/tmp';

export const MODEL_STAGES: readonly ModelStage[] = ['none', 'staging', 'production', 'archived'];

export const MAX_MODEL_NAME = 128;
export const MAX_ALIAS = 255;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The model name, trimmed, or an Error saying what is wrong with it. */
export function checkModelName(name: unknown): string | Error {
  if (typeof name !== 'string') return new Error('a model name must be a string');
  const trimmed = name.trim();
  if (trimmed === '') return new Error('a model needs a name');
  if (trimmed.length > MAX_MODEL_NAME) return new Error(`a model name has at most ${MAX_MODEL_NAME} characters (this one has ${trimmed.length})`);
  if (CONTROL.test(trimmed)) return new Error('a model name cannot contain control characters');
  if (/[/\\]/.test(trimmed)) return new Error(`a model name cannot contain "/" or "\\": ${JSON.stringify(trimmed)}`);
  if (trimmed.includes('..')) return new Error(`a model name cannot contain "..": ${JSON.stringify(trimmed)}`);
  return trimmed;
}

export function validModelName(name: unknown): string {
  const checked = checkModelName(name);
  if (checked instanceof Error) throw checked;
  return checked;
}

/**
 * MLflow's rule for aliases (mlflow/utils/validation.py): letters, digits, "_" and "-" only, at most
 * 255 characters, not "latest" (any case: it names the latest version), and not a version
 * reference such as "v1" or "V12" (regex ^[vV]\d+$).
 */
export function checkAlias(alias: unknown): string | Error {
  if (typeof alias !== 'string' || alias === '') return new Error('an alias cannot be empty');
  if (!/^[\p{L}\p{N}_-]+$/u.test(alias)) {
    return new Error(`invalid alias ${JSON.stringify(alias)}: aliases may only contain letters, digits, underscores (_) and dashes (-)`);
  }
  if (alias.length > MAX_ALIAS) return new Error(`an alias has at most ${MAX_ALIAS} characters (this one has ${alias.length})`);
  if (alias.toLowerCase() === 'latest') return new Error('the alias "latest" is reserved (it always means the latest version)');
  if (/^[vV]\d+$/.test(alias)) return new Error(`the alias ${JSON.stringify(alias)} is reserved: it looks like a version reference (v1, v2, …)`);
  return alias;
}

export function validAlias(alias: unknown): string {
  const checked = checkAlias(alias);
  if (checked instanceof Error) throw checked;
  return checked;
}

/**
 * The directory of a model's versions, under registry/models/: a readable lower-cased stem plus a
 * hash of the exact name, so any valid name is a safe directory name on every file system (Windows
 * reserved names, trailing dots, names differing only in case on case-insensitive systems).
 */
export function modelDirName(name: string): string {
  const stem = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48) || 'model';
  return `${stem}-${createHash('sha1').update(name, 'utf8').digest('hex').slice(0, 12)}`;
}

export function versionDir(model: string, version: number): string {
  return `${REGISTRY_MODELS_DIR}/${modelDirName(model)}/${version}`;
}

/** A copied file keeps the source's name, made safe on every file system. */
export function safeFileName(sourcePath: string): string {
  const base = sourcePath.split(/[/\\]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/[. ]+$/, '');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'model' : cleaned.slice(0, 200);
}

/** Whether a journal's `path` names a file inside a version directory of the registry. */
export function isRegistryFilePath(rel: string): boolean {
  const parts = rel.split('/');
  return (
    parts.length === 5 &&
    `${parts[0]}/${parts[1]}` === REGISTRY_MODELS_DIR &&
    /^[a-z0-9_-]+$/.test(parts[2]) &&
    /^[1-9][0-9]*$/.test(parts[3]) &&
    parts[4] !== '' && parts[4] !== '.' && parts[4] !== '..' && !parts[4].includes('\\')
  );
}
