/** What one CSV cell is: the same missing markers and number/bool rules pandas' read_csv uses. */

export type CellKind = 'missing' | 'int' | 'float' | 'bool' | 'date' | 'string';

/** pandas' default `na_values` (plus the empty string). */
export const NA_VALUES: ReadonlySet<string> = new Set([
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A',
  'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null',
]);

const SPECIAL_FLOAT = /^[+-]?(inf|infinity)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const BOOLS: Record<string, boolean> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };

export function cellKind(s: string): CellKind {
  if (s.length === 0 || (s.length <= 9 && NA_VALUES.has(s))) return 'missing';
  const c = s.charCodeAt(0);
  // digits, sign, dot: numbers and dates; a hand-written scan (this runs for every cell)
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    const n = numberKind(s);
    if (n) return n;
    if (c >= 48 && c <= 57 && DATE.test(s)) return 'date';
    if (SPECIAL_FLOAT.test(s)) return 'float';
    return 'string';
  }
  if (s in BOOLS) return 'bool';
  if (c === 73 || c === 105) return SPECIAL_FLOAT.test(s) ? 'float' : 'string'; // Inf, inf
  return 'string';
}

/** 'int' for [+-]digits, 'float' for [+-]digits[.digits][e[+-]digits] (what Number() and pandas read), else undefined. */
function numberKind(s: string): 'int' | 'float' | undefined {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) i++;
  let digits = 0;
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    i++;
    digits++;
  }
  if (i === n) return digits ? 'int' : undefined;
  let frac = 0;
  if (c === 46) {
    i++;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      i++;
      frac++;
    }
    if (digits + frac === 0) return undefined;
    if (i === n) return 'float';
  } else if (digits === 0) return undefined;
  if (c !== 101 && c !== 69) return undefined;
  i++;
  if (i < n && ((c = s.charCodeAt(i)) === 43 || c === 45)) i++;
  let exp = 0;
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    i++;
    exp++;
  }
  return exp > 0 && i === n ? 'float' : undefined;
}

export function boolValue(s: string): boolean {
  return BOOLS[s] === true;
}
