import { GRAMMAR } from './grammar';
import { NUMERIC, STATUSES, valueKind, type Comparison, type Literal, type QueryNode, type ValueKind } from './parse';

/**
 * Whether a run matches a parsed query; mirrors python-runner/mlwb/_query.py's `matches`. A comparison on a
 * key the run lacks is false (`!=` and NOT IN too); NOT negates a whole match.
 */

/** A run as the query language sees it (the same record in both languages). */
export interface QueryRun {
  run_id: string;
  run_name?: string;
  experiment_id?: string;
  /** The store's status (completed, failed, …). */
  status?: string;
  /** Epoch milliseconds, as MLflow's. */
  start_time?: number;
  end_time?: number | null;
  /** Seconds. */
  duration?: number | null;
  params: Record<string, unknown>;
  /** Each metric's last value. */
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

const MLFLOW_STATUS: Record<string, string> = GRAMMAR.mlflow_status;
const MISSING = Symbol('missing');

function lookup(run: QueryRun, c: Comparison): unknown {
  const { kind, name } = c.key;
  const holder = kind === 'attributes' ? (run as unknown as Record<string, unknown>) : (run[kind] as Record<string, unknown> | undefined);
  if (!holder || !Object.prototype.hasOwnProperty.call(holder, name)) return MISSING;
  const v = holder[name];
  return v === null || v === undefined ? MISSING : v;
}

/** A number as text, the same in both languages: integers without ".0", else Python's shortest repr. */
export function numberText(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(0);
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    out = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    out = `${int}.${frac || '0'}`;
  }
  return negative ? `-${out}` : out;
}

/** A param or tag as text: strings as they are, everything else as compact JSON with numberText numbers. */
export function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return numberText(v);
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  return String(v);
}

function jsonText(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : valueText(v);
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

function escapeRegExp(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function like(pattern: string, s: string, fold: boolean): boolean {
  if (fold) {
    pattern = pattern.toLowerCase();
    s = s.toLowerCase();
  }
  const rx = [...pattern].map((ch) => (ch === '%' ? '[\\s\\S]*' : ch === '_' ? '[\\s\\S]' : escapeRegExp(ch))).join('');
  return new RegExp(`^${rx}$`, 'u').test(s);
}

function equal(v: unknown, lit: Literal, kind: ValueKind): boolean {
  if (kind === 'status') return STATUSES[String(v).toLowerCase()] === lit;
  const a = asNumber(v);
  const b = asNumber(lit);
  if (a !== undefined && b !== undefined) return a === b;
  return kind !== 'number' && valueText(v) === valueText(lit);
}

function compare(c: Comparison, v: unknown): boolean {
  const kind = valueKind(c.key);
  switch (c.op) {
    case '=':
      return equal(v, c.values[0], kind);
    case '!=':
      return !equal(v, c.values[0], kind) && !(kind === 'number' && asNumber(v) === undefined);
    case 'IN':
      return c.values.some((x) => equal(v, x, kind)) !== c.negated;
    case 'LIKE':
    case 'ILIKE': {
      const texts = kind === 'status' ? [String(v), MLFLOW_STATUS[STATUSES[String(v).toLowerCase()] ?? ''] ?? ''] : [valueText(v)];
      return texts.some((s) => s !== '' && like(String(c.values[0]), s, c.op === 'ILIKE')) !== c.negated;
    }
    default: {
      const a = asNumber(v);
      const b = asNumber(c.values[0]);
      if (a === undefined || b === undefined) return false;
      return c.op === '<' ? a < b : c.op === '<=' ? a <= b : c.op === '>' ? a > b : a >= b;
    }
  }
}

/** Whether the run record matches the parsed query (undefined: every run). */
export function matchesQuery(node: QueryNode | undefined, run: QueryRun): boolean {
  if (node === undefined) return true;
  switch (node.type) {
    case 'and':
      return node.operands.every((n) => matchesQuery(n, run));
    case 'or':
      return node.operands.some((n) => matchesQuery(n, run));
    case 'not':
      return !matchesQuery(node.operand, run);
    default: {
      const v = lookup(run, node);
      if (node.op === 'NULL') return (v === MISSING) !== node.negated;
      return v !== MISSING && compare(node, v);
    }
  }
}

/** The params, metrics, tags and attributes a query reads (so a caller loads only those). */
export function queryKeys(node: QueryNode | undefined): { params: string[]; metrics: string[]; tags: string[]; attributes: string[] } {
  const out = { params: new Set<string>(), metrics: new Set<string>(), tags: new Set<string>(), attributes: new Set<string>() };
  const visit = (n: QueryNode): void => {
    if (n.type === 'and' || n.type === 'or') n.operands.forEach(visit);
    else if (n.type === 'not') visit(n.operand);
    else if (n.type === 'compare') out[n.key.kind].add(n.key.name);
  };
  if (node) visit(node);
  return { params: [...out.params], metrics: [...out.metrics], tags: [...out.tags], attributes: [...out.attributes] };
}
