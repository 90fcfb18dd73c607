import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunStatus } from '../store';
import { pickQuery } from './query-picker';
import { RUN_STATUSES, sortLabel, type RunsFilter, type RunsSort } from './runs-view-state';

type Item<T> = vscode.QuickPickItem & { value?: T };

/**
 * The Runs view's filter: a menu of its parts (each showing its current value), then the part's own
 * picker. Resolves to the new filter, or undefined when dismissed.
 */
export async function pickFilter(current: RunsFilter, tags: readonly string[], recentQueries: readonly string[] = []): Promise<RunsFilter | undefined> {
  type Part = 'query' | 'status' | 'tag' | 'text' | 'script' | 'clear';
  const items: Item<Part>[] = [
    { label: '$(filter) Query', description: current.query ?? 'none', detail: "MLflow's search syntax with OR and ( ): metrics.acc > 0.9 and params.model = 'rf'", value: 'query' },
    { label: '$(pulse) Status', description: current.status?.join(', ') ?? 'any', value: 'status' },
    { label: '$(tag) Tag', description: current.tag ?? 'any', value: 'tag' },
    { label: '$(search) Text', description: current.text ? `"${current.text}"` : 'none', detail: 'In the name, id, notes, experiment or tags', value: 'text' },
  ];
  if (current.script) items.push({ label: '$(file) Remove the file filter', description: path.basename(current.script), value: 'script' });
  items.push({ label: '$(clear-all) Clear filter', value: 'clear' });
  const part = (await vscode.window.showQuickPick(items, { title: 'Filter Runs', placeHolder: 'What to filter by' }))?.value;
  switch (part) {
    case 'query': {
      const query = await pickQuery(current.query, recentQueries);
      return query === undefined ? undefined : { ...current, query: query || undefined };
    }
    case 'status': {
      const picked = await vscode.window.showQuickPick(
        RUN_STATUSES.map((s): Item<RunStatus> => ({ label: s, value: s, picked: current.status?.includes(s) ?? false })),
        { title: 'Filter Runs by Status', canPickMany: true, placeHolder: 'None picked: any status' },
      );
      return picked && { ...current, status: picked.map((p) => p.value as RunStatus) };
    }
    case 'tag': {
      const picked = await vscode.window.showQuickPick<Item<string | null>>(
        [{ label: 'Any tag', value: null }, ...tags.map((t) => ({ label: t, value: t, description: t === current.tag ? 'current' : undefined }))],
        { title: 'Filter Runs by Tag' },
      );
      return picked && { ...current, tag: picked.value ?? undefined };
    }
    case 'text': {
      const text = await vscode.window.showInputBox({ title: 'Filter Runs by Text', value: current.text ?? '', prompt: 'Empty: no text filter' });
      return text === undefined ? undefined : { ...current, text: text.trim() || undefined };
    }
    case 'script':
      return { ...current, script: undefined };
    case 'clear':
      return {};
    default:
      return undefined;
  }
}

/** The Runs view's sort: time, duration or name either way, or a metric's last/min/max value. */
export async function pickSort(current: RunsSort, metricKeys: readonly string[]): Promise<RunsSort | undefined> {
  const builtIn: RunsSort[] = [
    { by: 'created', dir: 'desc' },
    { by: 'created', dir: 'asc' },
    { by: 'duration', dir: 'desc' },
    { by: 'duration', dir: 'asc' },
    { by: 'name', dir: 'asc' },
    { by: 'name', dir: 'desc' },
  ];
  const currentKey = JSON.stringify(current);
  const items: Item<RunsSort | string>[] = [
    ...builtIn.map((s) => ({ label: sortLabel(s), value: s, description: JSON.stringify(s) === currentKey ? 'current' : undefined })),
    { label: 'Metric', kind: vscode.QuickPickItemKind.Separator },
    ...metricKeys.map((k) => ({ label: `$(graph-line) ${k}`, value: k, description: typeof current.by === 'object' && current.by.metric === k ? `current: ${sortLabel(current)}` : undefined })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Sort Runs', placeHolder: 'Sort by' });
  if (!picked?.value) return undefined;
  if (typeof picked.value !== 'string') return picked.value;
  const metric = picked.value;
  const ways: Item<RunsSort>[] = [
    { label: 'Last value, highest first', value: { by: { metric, agg: 'last' }, dir: 'desc' } },
    { label: 'Last value, lowest first', value: { by: { metric, agg: 'last' }, dir: 'asc' } },
    { label: 'Best maximum first', value: { by: { metric, agg: 'max' }, dir: 'desc' } },
    { label: 'Best minimum first', value: { by: { metric, agg: 'min' }, dir: 'asc' } },
  ];
  return (await vscode.window.showQuickPick(ways, { title: `Sort Runs by ${metric}` }))?.value;
}
