/**
 * A small JSON parser that keeps every node's offset and length, so a check can point at the exact
 * value it is about (a diagnostic's range). Strict JSON (what VS Code's `json` mode accepts), no `vscode`.
 */
export type JsonNode =
  | { kind: 'object'; offset: number; length: number; props: JsonProp[] }
  | { kind: 'array'; offset: number; length: number; items: JsonNode[] }
  | { kind: 'string'; offset: number; length: number; value: string }
  | { kind: 'number'; offset: number; length: number; value: number }
  | { kind: 'boolean'; offset: number; length: number; value: boolean }
  | { kind: 'null'; offset: number; length: number; value: null };

export interface JsonProp {
  key: string;
  keyOffset: number;
  keyLength: number;
  value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number, readonly length = 1) {
    super(message);
  }
}

export function parseJson(text: string): JsonNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (what: string): never => {
    if (i >= text.length) throw new JsonSyntaxError(`${what}, found the end of the file`, Math.max(0, text.length - 1));
    throw new JsonSyntaxError(`${what}, found ${JSON.stringify(text[i])}`, i);
  };
  const str = (): { value: string; offset: number; length: number } => {
    const start = i;
    if (text[i] !== '"') fail('Expected a string');
    i++;
    let out = '';
    while (i < text.length && text[i] !== '"') {
      const c = text[i];
      if (c === '\n' || c === '\r') throw new JsonSyntaxError('Unterminated string', start, i - start);
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          throw new JsonSyntaxError('Invalid escape in a string', i, 2);
        }
      } else {
        out += c;
        i++;
      }
    }
    if (i >= text.length) throw new JsonSyntaxError('Unterminated string', start, i - start);
    i++;
    return { value: out, offset: start, length: i - start };
  };
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const props: JsonProp[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', offset: start, length: i - start, props };
      }
      for (;;) {
        ws();
        const key = str();
        ws();
        if (text[i] !== ':') fail('Expected ":" after a property name');
        i++;
        props.push({ key: key.value, keyOffset: key.offset, keyLength: key.length, value: value() });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', offset: start, length: i - start, props };
        }
        fail('Expected "," or "}" in an object');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', offset: start, length: i - start, items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', offset: start, length: i - start, items };
        }
        fail('Expected "," or "]" in an array');
      }
    }
    if (c === '"') {
      const s = str();
      return { kind: 'string', ...s };
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (m && m[0].length > 0 && (c === '-' || (c >= '0' && c <= '9'))) {
      i += m[0].length;
      return { kind: 'number', offset: start, length: m[0].length, value: Number(m[0]) };
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v === null ? { kind: 'null', offset: start, length: word.length, value: null } : { kind: 'boolean', offset: start, length: word.length, value: v };
      }
    }
    return fail('Expected a value');
  };
  const root = value();
  ws();
  if (i < text.length) fail('Expected the end of the file');
  return root;
}

/** The property `key` of an object node. */
export function prop(node: JsonNode | undefined, key: string): JsonProp | undefined {
  return node?.kind === 'object' ? node.props.find((p) => p.key === key) : undefined;
}

/** Plain JavaScript value of a node. */
export function toValue(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.props.map((p) => [p.key, toValue(p.value)]));
    case 'array':
      return node.items.map(toValue);
    default:
      return node.value;
  }
}

/** Zero-based line and character of an offset (what a diagnostic range is made of). */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, character: offset - lineStart };
}
