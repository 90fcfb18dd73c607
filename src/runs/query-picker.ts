import * as vscode from 'vscode';
import { queryProblem } from './runs-view-state';

/** The recent queries the Filter offers, newest first (kept per workspace). */
export const RECENT_QUERIES_KEY = 'mlwb.runsView.recentQueries';
const RECENT_KEPT = 10;

type QueryItem = vscode.QuickPickItem & { query?: string };

export function rememberQuery(memento: vscode.Memento, query: string): Thenable<void> {
  const recent = memento.get<string[]>(RECENT_QUERIES_KEY, []).filter((q) => q !== query);
  return memento.update(RECENT_QUERIES_KEY, [query, ...recent].slice(0, RECENT_KEPT));
}

export function recentQueries(memento: vscode.Memento): string[] {
  const recent = memento.get<unknown>(RECENT_QUERIES_KEY);
  return Array.isArray(recent) ? recent.filter((q): q is string => typeof q === 'string') : [];
}

/**
 * Asks for a query: type one (checked as you type: an error names its column) or pick a recent one.
 * Resolves to the query ('' clears it), or undefined when dismissed.
 */
export function pickQuery(current: string | undefined, recent: readonly string[]): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<QueryItem>();
  qp.title = 'Filter Runs by Query';
  qp.placeholder = "metrics.acc > 0.9 and (params.model = 'rf' or tags.team ILIKE 'ml%')";
  qp.value = current ?? '';
  qp.matchOnDescription = false;
  qp.matchOnDetail = false;
  const recentItems: QueryItem[] = recent.map((q) => ({ label: q, query: q, description: q === current ? 'current' : undefined, alwaysShow: true }));
  const help: QueryItem = {
    label: '$(info) Syntax',
    detail: "metrics.<name>, params.<name>, tags.<name>, status, run_name, start_time, duration … with = != < > LIKE ILIKE IN IS NULL, joined by AND / OR / NOT and ( )",
    alwaysShow: true,
  };
  const update = (): void => {
    const typed = qp.value.trim();
    const items: QueryItem[] = [];
    if (typed !== '' && !recent.includes(typed)) {
      const problem = queryProblem(typed);
      items.push(
        problem
          ? { label: `$(error) ${typed}`, detail: problem, alwaysShow: true }
          : { label: `$(filter) ${typed}`, description: 'Apply this query', query: typed, alwaysShow: true },
      );
    }
    if (typed === '' && current) items.push({ label: '$(clear-all) No query', description: 'Show every run', query: '', alwaysShow: true });
    if (recentItems.length > 0) items.push({ label: 'Recent', kind: vscode.QuickPickItemKind.Separator }, ...recentItems);
    items.push(help);
    qp.items = items;
  };
  update();
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: string | undefined): void => {
      if (done) return;
      done = true;
      resolve(value);
      qp.dispose();
    };
    qp.onDidChangeValue(update);
    qp.onDidAccept(() => {
      const picked = qp.selectedItems[0];
      if (picked?.query !== undefined) finish(picked.query);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}
