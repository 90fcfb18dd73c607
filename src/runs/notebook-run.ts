import { isNotebook } from '../runner/launch-spec';

/** The run file a notebook run saves (python-runner/mlwb/_notebook.py EXECUTED_FILE). */
export const EXECUTED_NOTEBOOK = 'notebook/executed.ipynb';

/** Whether a run ran a notebook (a summary says so; a detail's script is an .ipynb). */
export function isNotebookRun(run: { notebook?: true; script?: { path: string } }): boolean {
  return run.notebook === true || (run.script !== undefined && isNotebook(run.script.path));
}
