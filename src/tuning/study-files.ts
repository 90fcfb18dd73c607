import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TuningStudy } from './model';
import { readOptunaJournalFile } from './readers/optuna-journal';
import { readOptunaSqliteFile } from './readers/optuna-sqlite';

/** Files "Open Optuna Study File" is offered on (package.json's explorer menu mirrors this). */
export const STUDY_FILE_EXTENSIONS = ['.db', '.sqlite', '.sqlite3', '.log'];

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/**
 * Every study of an optuna storage file: an RDB SQLite file (read with sql.js) or a JournalFileStorage log.
 * Throws an error that says so when the file is not an optuna study file (or holds no study).
 */
export async function readStudyFile(file: string, wasmPath: string): Promise<TuningStudy[]> {
  const name = path.basename(file);
  let studies: TuningStudy[];
  try {
    const head = Buffer.alloc(16);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, 16, 0);
    } finally {
      fs.closeSync(fd);
    }
    studies = head.toString('latin1') === SQLITE_MAGIC ? await readOptunaSqliteFile(file, wasmPath) : readOptunaJournalFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw new Error(`Cannot read ${name}: ${e.message}`);
    throw new Error(`${name} is not an Optuna study file: ${e.message.replace(`${file}:`, 'line ').replace(file, name)}`);
  }
  if (studies.length === 0) throw new Error(`${name} is not an Optuna study file: it holds no study.`);
  return studies;
}
