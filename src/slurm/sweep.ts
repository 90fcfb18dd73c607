import { shellWords, splitArgs } from '../runner/launch-spec';

/**
 * The runs of a sweep: explicit argument lines (one run each), or a grid where an unquoted comma lists
 * values (`--lr 0.1,0.01 --depth 3,5` → 4 runs). No `vscode` import.
 */
export function sweepArgs(text: string): string[][] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new Error('a sweep needs arguments: a grid such as --lr 0.1,0.01 --depth 3,5, or one line of arguments per run');
  if (lines.length > 1) return lines.map((l) => splitArgs(l));
  return gridArgs(lines[0]);
}

/** Every combination of the listed values, the first parameter varying slowest. */
export function gridArgs(line: string): string[][] {
  let combos: string[][] = [[]];
  for (const choices of gridWords(line)) {
    combos = combos.flatMap((c) => choices.map((v) => [...c, v]));
  }
  return combos;
}

/** Words as a shell splits them; each is its list of values (one unless an unquoted comma separates several). */
function gridWords(line: string): string[][] {
  return shellWords(line, ',').map((values) => {
    if (values.length > 1 && values.some((v) => v === '')) throw new Error(`an empty value in ${JSON.stringify(values.join(','))}`);
    // --opt=adam,sgd: the option goes with every value.
    const option = values.length > 1 ? /^-[^=\s]*=/.exec(values[0])?.[0] : undefined;
    return option ? values.map((v, i) => (i === 0 ? v : option + v)) : values;
  });
}
