import { GRAMMAR } from './grammar';

/**
 * The run query language's parser: MLflow's search syntax plus OR, NOT and parentheses (grammar in
 * python-runner/mlwb/query_grammar.json). Mirrors python-runner/mlwb/_query.py: the same trees, the same
 * error messages at the same positions (the shared cases of python-runner/tests/data/query-cases.json).
 */

export type KeyKind = 'metrics' | 'params' | 'tags' | 'attributes';
export type ValueKind = 'number' | 'text' | 'status';
export type Literal = number | string;

export interface QueryKey {
  kind: KeyKind;
  name: string;
}

export interface Comparison {
  type: 'compare';
  key: QueryKey;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NULL';
  values: Literal[];
  /** NOT LIKE, NOT IN, IS NOT NULL. */
  negated: boolean;
}

export type QueryNode = Comparison | { type: 'not'; operand: QueryNode } | { type: 'and' | 'or'; operands: QueryNode[] };

/** A query that does not parse; `position` is the 0-based offset of the offending character. */
export class QueryError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} (at column ${position + 1})`);
    this.name = 'QueryError';
  }
}

const PREFIXES: Record<string, KeyKind> = GRAMMAR.prefixes;
export const ATTRIBUTES: Record<string, ValueKind> = GRAMMAR.attributes;
const ALIASES: Record<string, string> = GRAMMAR.attribute_aliases;
export const STATUSES: Record<string, string> = GRAMMAR.statuses;
const KEY_HELP = `metrics.<name>, params.<name>, tags.<name> or an attribute: ${Object.keys(ATTRIBUTES).join(', ')}`;
const COMPARE: Record<string, Comparison['op']> = { '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
export const NUMERIC = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const NUMBER_AT = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
const WORD_AT = /[A-Za-z_][A-Za-z0-9_./:-]*/y;

interface Token {
  kind: 'word' | 'number' | 'string' | 'name' | 'op' | '(' | ')' | ',' | 'end';
  text: string;
  value: Literal;
  pos: number;
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, text: c, value: c, pos: i });
      i++;
    } else if ('=!<>'.includes(c)) {
      const two = text.slice(i, i + 2);
      const op = two in COMPARE ? two : c in COMPARE ? c : undefined;
      if (op === undefined) throw new QueryError(`unexpected character ${q(c)}`, i);
      out.push({ kind: 'op', text: op, value: COMPARE[op], pos: i });
      i += op.length;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let chars = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && c !== '`' && j + 1 < text.length) j++;
        chars += text[j];
        j++;
      }
      if (j >= text.length) throw new QueryError(c === '`' ? 'unterminated backquoted name' : 'unterminated string', i);
      out.push({ kind: c === '`' ? 'name' : 'string', text: text.slice(i, j + 1), value: chars, pos: i });
      i = j + 1;
    } else {
      const number = matchAt(NUMBER_AT, text, i);
      const word = number === undefined ? matchAt(WORD_AT, text, i) : undefined;
      if (number !== undefined) out.push({ kind: 'number', text: number, value: Number(number), pos: i });
      else if (word !== undefined) out.push({ kind: 'word', text: word, value: word, pos: i });
      else throw new QueryError(`unexpected character ${q(c)}`, i);
      i += (number ?? word ?? '').length;
    }
  }
  out.push({ kind: 'end', text: '', value: '', pos: text.length });
  return out;
}

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

function q(s: string): string {
  return `'${s}'`;
}

/** How an error names a token: strings and backquoted names as written, the rest in single quotes. */
function found(t: Token): string {
  return t.kind === 'end' ? 'the end' : t.kind === 'string' || t.kind === 'name' ? t.text : q(t.text);
}

function kw(t: Token, ...words: string[]): boolean {
  return t.kind === 'word' && words.includes(t.text.toUpperCase());
}

export function valueKind(key: QueryKey): ValueKind {
  if (key.kind === 'metrics') return 'number';
  if (key.kind === 'attributes') return ATTRIBUTES[key.name];
  return 'text';
}

export function keyLabel(key: QueryKey): string {
  return key.kind === 'attributes' ? key.name : `${key.kind}.${key.name}`;
}

class Parser {
  private readonly toks: Token[];
  private i = 0;

  constructor(text: string) {
    this.toks = tokens(text);
  }

  private peek(): Token {
    return this.toks[this.i];
  }

  private take(): Token {
    const t = this.toks[this.i];
    this.i = Math.min(this.i + 1, this.toks.length - 1); // the end token repeats
    return t;
  }

  query(): QueryNode {
    const node = this.or();
    const t = this.peek();
    if (t.kind !== 'end') throw new QueryError(`expected AND, OR or the end, found ${found(t)}`, t.pos);
    return node;
  }

  private or(): QueryNode {
    const parts = [this.and()];
    while (kw(this.peek(), 'OR')) {
      this.take();
      parts.push(this.and());
    }
    return parts.length === 1 ? parts[0] : { type: 'or', operands: parts };
  }

  private and(): QueryNode {
    const parts = [this.unary()];
    while (kw(this.peek(), 'AND')) {
      this.take();
      parts.push(this.unary());
    }
    return parts.length === 1 ? parts[0] : { type: 'and', operands: parts };
  }

  private unary(): QueryNode {
    const t = this.peek();
    if (kw(t, 'NOT')) {
      this.take();
      return { type: 'not', operand: this.unary() };
    }
    if (t.kind === '(') {
      this.take();
      const node = this.or();
      const close = this.take();
      if (close.kind !== ')') throw new QueryError(`expected ')' to close the '(' at column ${t.pos + 1}, found ${found(close)}`, close.pos);
      return node;
    }
    return this.comparison();
  }

  private key(): QueryKey {
    const t = this.take();
    if (t.kind !== 'word') throw new QueryError(`expected a key (${KEY_HELP}), found ${found(t)}`, t.pos);
    const dot = t.text.indexOf('.');
    const kind = dot >= 0 ? PREFIXES[t.text.slice(0, dot).toLowerCase()] : undefined;
    if (kind !== undefined) {
      let name = t.text.slice(dot + 1);
      if (!name) {
        const n = this.peek();
        if (n.kind !== 'name' && n.kind !== 'string') throw new QueryError(`a name is missing after ${q(t.text)}`, n.pos);
        name = String(this.take().value);
      }
      return kind === 'attributes' ? { kind, name: this.attribute(name, t.pos) } : { kind, name };
    }
    const attr = dot >= 0 ? undefined : ALIASES[t.text.toLowerCase()] ?? t.text.toLowerCase();
    if (attr === undefined || !(attr in ATTRIBUTES)) throw new QueryError(`unknown key ${q(t.text)} (keys are ${KEY_HELP})`, t.pos);
    return { kind: 'attributes', name: attr };
  }

  private attribute(name: string, pos: number): string {
    const attr = ALIASES[name.toLowerCase()] ?? name.toLowerCase();
    if (!(attr in ATTRIBUTES)) throw new QueryError(`unknown attribute ${q(name)} (known: ${Object.keys(ATTRIBUTES).join(', ')})`, pos);
    return attr;
  }

  private comparison(): Comparison {
    const key = this.key();
    const kind = valueKind(key);
    let t = this.take();
    let negated = false;
    if (kw(t, 'IS')) {
      let n = this.take();
      if (kw(n, 'NOT')) {
        negated = true;
        n = this.take();
      }
      if (!kw(n, 'NULL')) throw new QueryError(`expected NULL after IS, found ${found(n)}`, n.pos);
      return { type: 'compare', key, op: 'NULL', values: [], negated };
    }
    if (kw(t, 'NOT')) {
      negated = true;
      t = this.take();
      if (!kw(t, 'IN', 'LIKE', 'ILIKE')) throw new QueryError(`expected IN, LIKE or ILIKE after NOT, found ${found(t)}`, t.pos);
    }
    if (t.kind === 'op') {
      const op = t.value as Comparison['op'];
      if (kind === 'status' && op !== '=' && op !== '!=') {
        throw new QueryError(`${keyLabel(key)} cannot be compared with ${t.text} (use =, !=, LIKE, ILIKE or IN)`, t.pos);
      }
      return { type: 'compare', key, op, values: [this.value(this.take(), key, kind, op)], negated: false };
    }
    if (kw(t, 'LIKE', 'ILIKE')) {
      const op = t.text.toUpperCase() as 'LIKE' | 'ILIKE';
      if (kind === 'number') throw new QueryError(`${op} compares text: ${keyLabel(key)} is a number`, t.pos);
      const v = this.take();
      if (v.kind !== 'string') throw new QueryError(`${op} needs a quoted pattern, found ${found(v)}`, v.pos);
      return { type: 'compare', key, op, values: [v.value], negated };
    }
    if (kw(t, 'IN')) {
      const open = this.take();
      if (open.kind !== '(') throw new QueryError(`expected '(' after IN, found ${found(open)}`, open.pos);
      const values = [this.value(this.take(), key, kind, '=')];
      for (;;) {
        const sep = this.take();
        if (sep.kind === ')') break;
        if (sep.kind !== ',') throw new QueryError(`expected ',' or ')' in the IN list, found ${found(sep)}`, sep.pos);
        values.push(this.value(this.take(), key, kind, '='));
      }
      return { type: 'compare', key, op: 'IN', values, negated };
    }
    throw new QueryError(`expected a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS) after ${keyLabel(key)}, found ${found(t)}`, t.pos);
  }

  private value(v: Token, key: QueryKey, kind: ValueKind, op: string): Literal {
    if (v.kind !== 'number' && v.kind !== 'string') throw new QueryError(`expected a value (a number or a quoted string), found ${found(v)}`, v.pos);
    if (kind === 'number' && v.kind !== 'number') throw new QueryError(`${keyLabel(key)} compares numbers, found ${found(v)}`, v.pos);
    if (kind === 'status') {
      const status = v.kind === 'string' ? STATUSES[String(v.value).toLowerCase()] : undefined;
      if (status === undefined) {
        throw new QueryError(
          `unknown status ${v.text} (known: ${[...new Set(Object.values(STATUSES))].join(', ')} or MLflow's SCHEDULED, RUNNING, FINISHED, FAILED, KILLED)`,
          v.pos,
        );
      }
      return status;
    }
    if (['<', '<=', '>', '>='].includes(op) && v.kind === 'string' && !NUMERIC.test(String(v.value))) {
      throw new QueryError(`${op} compares numbers, found ${found(v)}`, v.pos);
    }
    return v.value;
  }
}

/** The query's tree; undefined for an empty query (every run matches). Throws QueryError. */
export function parseQuery(text: string | undefined): QueryNode | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return new Parser(text).query();
}
