// Guarantee: every message from every webview panel is validated by its contract before use: random and mutated messages are either valid per the contract or rejected with BadMessage, never another exception, and nothing pollutes Object.prototype.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFromDataset } from '../../src/datasets/panel/contract';
import { parseEvaluationPanelState, parseFromEvaluationPanel } from '../../src/evaluate/contract';
import { parseExplainPanelState, parseFromExplainPanel } from '../../src/explain/contract';
import { parseFromArchitecture } from '../../src/modelspec/contract';
import { parseFromOverview } from '../../src/overview/contract';
import { BadMessage } from '../../src/platform/webview-contract';
import { parseFromVersionPanel, parseVersionPanelState } from '../../src/registry/version-panel/contract';
import { isCompareState, parseFromCompare } from '../../src/runs/compare/contract';
import { isDashboardState, parseFromDashboard } from '../../src/runs/dashboard/contract';
import { parseFromServingPanel, parseServingPanelState } from '../../src/serving/panel/contract';
import { isTuningPanelState, parseFromTuning } from '../../src/tuning/panel/contract';
import { fuzzSeed, mutate, NASTY_STRINGS, Prng, randomValue } from './fuzz-helpers';

const repo = path.resolve(__dirname, '../../..');

interface Contract {
  /** The contract file, whose string literals seed the fuzzer (message types, field names, enum values). */
  file: string;
  parse: (raw: unknown) => unknown;
  /** The saved state a restored panel is revived from (untrusted too): a parser (throws BadMessage) or a guard. */
  state?: ((raw: unknown) => unknown) | ((raw: unknown) => boolean);
  /** One valid message of each type: accepted as they are, and mutated by the fuzzer. */
  valid: Record<string, unknown>[];
}

const PNG = `data:image/png;base64,${Buffer.from('png bytes').toString('base64')}`;
const chart = { width: 800, xAxis: 'step' };
const simple = (...types: string[]) => types.map((type) => ({ type }));

/** Every panel (webview/panels/<bundle>) and the contract its PanelKind validates with. A new panel must be added here. */
const CONTRACTS: Record<string, Contract> = {
  architecture: {
    file: 'src/modelspec/contract.ts', parse: parseFromArchitecture,
    valid: [...simple('ready', 'train', 'register', 'openRun'), { type: 'revealLayer', layer: 2 }, { type: 'infer', requestId: 1, pixels: Array(64).fill(3) }],
  },
  compare: {
    file: 'src/runs/compare/contract.ts', parse: parseFromCompare, state: isCompareState,
    valid: [
      { type: 'ready', ...chart }, { type: 'series', seq: 1, key: 'loss', ...chart, range: [0, 10] }, { type: 'openRun', id: 'r1' },
      { type: 'exportCsv', key: 'loss', xAxis: 'time' }, { type: 'exportPng', key: 'loss', dataUrl: PNG },
    ],
  },
  dataset: { file: 'src/datasets/panel/contract.ts', parse: parseFromDataset, valid: [...simple('ready', 'refresh', 'openFile'), { type: 'rows', start: 0, count: 100 }] },
  evaluation: {
    file: 'src/evaluate/contract.ts', parse: parseFromEvaluationPanel, state: parseEvaluationPanelState,
    valid: [...simple('ready', 'refresh', 'openJson'), { type: 'exportPng', chart: 'roc', dataUrl: PNG }, { type: 'saveThreshold', threshold: 0.4 }],
  },
  explain: {
    file: 'src/explain/contract.ts', parse: parseFromExplainPanel, state: parseExplainPanelState,
    valid: [...simple('ready', 'refresh', 'openJson'), { type: 'selectOutput', output: 1 }, { type: 'exportPng', chart: 'beeswarm', dataUrl: PNG }],
  },
  overview: { file: 'src/overview/contract.ts', parse: parseFromOverview, valid: [...simple('ready', 'refresh'), { type: 'showRuns', status: 'failed' }] },
  run: {
    file: 'src/runs/dashboard/contract.ts', parse: parseFromDashboard, state: isDashboardState,
    valid: [
      { type: 'ready', ...chart }, { type: 'axis', ...chart }, { type: 'zoom', seq: 2, key: 'loss', ...chart, range: [1, 2] },
      { type: 'logs', seq: 3, offset: -1, level: 'warn', search: 'x' }, { type: 'setTags', tags: ['a', 'b'] }, { type: 'setNotes', notes: 'n' },
      { type: 'rename', name: 'new name' }, { type: 'openFile', path: 'model.pkl' }, { type: 'revealFile', path: 'a/b.txt' },
      { type: 'exportCsv', key: 'loss', xAxis: 'relative' }, { type: 'exportPng', key: 'loss', dataUrl: PNG },
    ],
  },
  serving: {
    file: 'src/serving/panel/contract.ts', parse: parseFromServingPanel, state: parseServingPanelState,
    valid: [...simple('ready', 'stop', 'restart', 'serve', 'copyUrl', 'copyToken', 'showLog'), { type: 'send', format: 'json', body: '{"instances": [[1, 2]]}', proba: true }],
  },
  tuning: {
    file: 'src/tuning/panel/contract.ts', parse: parseFromTuning, state: isTuningPanelState,
    valid: [...simple('ready', 'stop', 'stopNow', 'trainBest', 'registerBest', 'openRun'), { type: 'selectStudy', id: 'study-1' }, { type: 'copyParams', number: 3 }],
  },
  version: {
    file: 'src/registry/version-panel/contract.ts', parse: parseFromVersionPanel, state: parseVersionPanelState,
    valid: [...simple('ready', 'refresh', 'openRun', 'openFile', 'revealFile', 'copyPath', 'setEvaluationData', 'evaluate', 'inferSignature'), { type: 'setStage', stage: 'production' }],
  },
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? sourceFiles(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

/** String literals of a contract (and the field checks it uses): message types, field names, enum values. */
function vocabulary(file: string): string[] {
  const text = [file, 'src/runs/charts/message-checks.ts'].map((f) => fs.readFileSync(path.join(repo, f), 'utf8')).join('\n');
  const words = new Set<string>();
  for (const m of text.matchAll(/'([A-Za-z][\w./-]{0,40})'/g)) words.add(m[1]);
  return [...words];
}

/** A message built from the contract's own words: likely to reach past the type check into the field checks. */
function plausible(r: Prng, words: string[]): Record<string, unknown> {
  const msg: Record<string, unknown> = { type: r.pick(words) };
  const n = r.int(7);
  for (let i = 0; i < n; i++) {
    const value = r.pick<() => unknown>([
      () => r.pick(words),
      () => r.int(600) - 50,
      () => [r.int(100), r.int(100) + 100],
      () => Array.from({ length: r.int(70) }, () => r.int(20)),
      () => [r.pick(words), r.pick(words)],
      () => r.pick(NASTY_STRINGS),
      () => `data:image/png;base64,${Buffer.from(r.bytes(20)).toString('base64')}`,
      () => 'x'.repeat(r.pick([1, 1000, 4097, 100_001])),
      () => (r.chance(0.05) ? 'x'.repeat(5 * 1024 * 1024) : ''),
      () => randomValue(r),
      () => ({ [r.pick(words)]: r.pick(words), source: { kind: r.pick(words), id: r.pick(words) } }),
    ])();
    msg[r.pick(words)] = value;
  }
  return msg;
}

/** A message as it arrives through postMessage: structured-cloned, so "__proto__" is an own key. */
function asReceived(msg: unknown): unknown {
  return JSON.parse(JSON.stringify(msg) ?? 'null');
}

describe('fuzz: webview messages', function () {
  this.timeout(60_000);

  it('every panel has a contract here, and its PanelKind validates with that very function', () => {
    const bundles = fs.readdirSync(path.join(repo, 'webview/panels')).filter((d) => fs.existsSync(path.join(repo, 'webview/panels', d, 'main.ts'))).sort();
    assert.deepEqual(Object.keys(CONTRACTS).sort(), bundles, 'a panel in webview/panels/ without a contract in this test (or one gone)');
    const src = sourceFiles('src').map((f) => ({ f, text: fs.readFileSync(path.join(repo, f), 'utf8') }));
    for (const [bundle, c] of Object.entries(CONTRACTS)) {
      const kinds = src.filter(({ text }) => text.includes(`bundle: '${bundle}'`));
      assert.equal(kinds.length, 1, `one PanelKind with bundle '${bundle}'`);
      const { f, text } = kinds[0];
      assert.match(text, new RegExp(`\\bparse: ${c.parse.name}\\b`), `${f}: the '${bundle}' panel validates its messages with ${c.parse.name}`);
      assert.match(text, new RegExp(`import \\{[^}]*\\b${c.parse.name}\\b[^}]*\\} from '[^']*contract'`), `${f}: ${c.parse.name} comes from a contract file`);
      assert.match(fs.readFileSync(path.join(repo, c.file), 'utf8'), new RegExp(`export function ${c.parse.name}\\(raw: unknown\\)`));
    }
  });

  it('random and mutated messages: valid per the contract or BadMessage, never another exception', () => {
    const seed = fuzzSeed(31337);
    const r = new Prng(seed);
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const summary: string[] = [];
    let total = 0;
    for (const [bundle, c] of Object.entries(CONTRACTS)) {
      const words = vocabulary(c.file);
      const accepted: Record<string, unknown>[] = [];
      const acceptedTypes = new Set<string>();
      let rejected = 0;
      const tryOne = (msg: unknown, what: 'message' | 'state') => {
        const raw = asReceived(msg);
        const fn = what === 'message' ? c.parse : c.state!;
        let out: unknown;
        try {
          out = fn(raw);
        } catch (err) {
          if (!(err instanceof BadMessage)) assert.fail(`${bundle} ${what} ${JSON.stringify(raw).slice(0, 300)} threw ${(err as Error)?.stack ?? err} (seed ${seed})`);
          rejected++;
          return;
        }
        if (what === 'message') {
          assert.ok(typeof out === 'object' && out !== null && typeof (out as { type?: unknown }).type === 'string', `${bundle}: parse returned ${JSON.stringify(out)}`);
          assert.equal((out as { type: string }).type, (raw as { type: string }).type, `${bundle}: the parsed message keeps its type`);
          acceptedTypes.add((out as { type: string }).type);
          if (accepted.length < 200) accepted.push(raw as Record<string, unknown>);
        } else if (typeof out === 'boolean' && !out) rejected++;
      };
      for (const v of c.valid) assert.doesNotThrow(() => c.parse(v), `${bundle}: a valid ${String(v.type)} is accepted`);
      accepted.push(...c.valid);
      const n = 1500;
      for (let i = 0; i < n; i++) {
        const source = accepted.length > 0 && r.chance(0.5) ? mutate(r, r.pick(accepted)) : r.chance(0.8) ? plausible(r, words) : randomValue(r, 4);
        tryOne(source, 'message');
        if (c.state && i % 5 === 0) tryOne(r.chance(0.5) ? plausible(r, words) : randomValue(r, 3), 'state');
      }
      for (const odd of [undefined, null, 0, '', 'ready', [], [{ type: 'ready' }], { type: null }, { type: ['ready'] }, { type: 'ready'.repeat(1e5) }]) tryOne(odd, 'message');
      const tried = n + 10 + (c.state ? n / 5 : 0);
      total += tried;
      assert.ok(accepted.length > 0, `${bundle}: no message was ever accepted: the fuzzer never got past the type check`);
      summary.push(`${bundle} ${tried} (accepted types: ${[...acceptedTypes].sort().join(' ')})`);
    }
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoKeys, 'Object.prototype is untouched');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    console.log(`fuzz: webview messages: seed ${seed}, ${total} inputs over ${Object.keys(CONTRACTS).length} panels, 0 crashes (${summary.join('; ')})`);
  });
});
