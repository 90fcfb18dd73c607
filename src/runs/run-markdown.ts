import type { RunDetail } from '../store';

const cell = (v: unknown) => String(typeof v === 'string' ? v : JSON.stringify(v)).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (n: number | undefined) => (n === undefined ? '' : Number.isInteger(n) ? String(n) : n.toPrecision(6));

/** A run as a Markdown page: what "Open Run" shows until the run dashboard panel exists. */
export function runMarkdown(run: RunDetail): string {
  const lines = [
    `# ${run.name}`,
    '',
    `**${run.status}** · experiment \`${run.experiment}\` · started ${new Date(run.created * 1000).toISOString()}` +
      (run.duration !== undefined ? ` · ${run.duration.toFixed(1)} s` : ''),
    '',
  ];
  if (run.script) lines.push(`- Script: \`${run.script.path}\`${run.argv.length > 1 ? ` \`${run.argv.slice(1).join(' ')}\`` : ''}`);
  if (run.git) lines.push(`- Git: \`${run.git.commit.slice(0, 12)}\`${run.git.branch ? ` on ${run.git.branch}` : ''}${run.git.dirty ? ' (uncommitted changes)' : ''}`);
  if (run.python) lines.push(`- Python: ${run.python.version} (\`${run.python.executable}\`)`);
  if (run.error) lines.push(`- Error: ${run.error}`);
  if (run.notes) lines.push('', `> ${run.notes.replace(/\n/g, '\n> ')}`);
  const params = Object.entries(run.params);
  if (params.length) lines.push('', '## Params', '', '| param | value |', '|---|---|', ...params.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`));
  if (run.metrics.length) {
    lines.push('', '## Metrics', '', '| metric | last | min | max | points |', '|---|---|---|---|---|');
    lines.push(...run.metrics.map((m) => `| ${cell(m.key)} | ${fmt(m.last)} | ${fmt(m.min)} | ${fmt(m.max)} | ${m.count} |`));
  }
  if (run.files.length) lines.push('', '## Files', '', ...run.files.map((f) => `- \`${f.path}\`${f.size !== undefined ? ` (${f.size} bytes)` : ''}`));
  if (run.traceback) lines.push('', '## Traceback', '', '```', run.traceback, '```');
  if (run.logs.length) lines.push('', '## Latest logs', '', '```', ...run.logs.map((l) => `${l.level.padEnd(5)} ${l.msg}`), '```');
  return lines.join('\n') + '\n';
}
