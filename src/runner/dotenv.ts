/**
 * A `.env` file as python-dotenv reads the common cases: KEY=VALUE, `export KEY=VALUE`, comments,
 * single quotes (literal), double quotes (\n and \" escapes), ${VAR} expansion from earlier keys or
 * the environment in unquoted and double-quoted values.
 */
export function parseDotenv(text: string, env: NodeJS.ProcessEnv = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const expand = (v: string) => v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => out[k] ?? env[k] ?? '');
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/);
    if (!m) continue;
    const [, key, rest] = m;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      out[key] = end > 0 ? rest.slice(1, end) : rest.slice(1);
    } else if (rest.startsWith('"')) {
      const body = rest.slice(1).match(/^((?:[^"\\]|\\.)*)"?/)?.[1] ?? '';
      out[key] = expand(body.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1'));
    } else {
      out[key] = expand(rest.replace(/\s+#.*$/, '').trim());
    }
  }
  return out;
}
