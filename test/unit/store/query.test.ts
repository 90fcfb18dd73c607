import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { matchesQuery, numberText, queryKeys, type QueryRun } from '../../../src/store/query/evaluate';
import { GRAMMAR } from '../../../src/store/query/grammar';
import { parseQuery, QueryError } from '../../../src/store/query/parse';

const RUNNER_DIR = path.resolve(__dirname, '../../../../python-runner');
const CASES = JSON.parse(fs.readFileSync(path.join(RUNNER_DIR, 'tests/data/query-cases.json'), 'utf8')) as {
  runs: QueryRun[];
  cases: { query: string; ids?: string[]; error?: { message: string; position: number } }[];
};

function filterRuns(query: string, runs: QueryRun[]): string[] {
  const node = parseQuery(query);
  return runs.filter((r) => matchesQuery(node, r)).map((r) => r.run_id);
}

describe('query language: the cases shared with the Python parser (python-runner/tests/data/query-cases.json)', () => {
  for (const c of CASES.cases) {
    it(c.error ? `${JSON.stringify(c.query)} fails at ${c.error.position}` : `${JSON.stringify(c.query)} → ${c.ids?.join(', ') || 'none'}`, () => {
      if (c.error) {
        assert.throws(
          () => filterRuns(c.query, CASES.runs),
          (e: unknown) => {
            assert.ok(e instanceof QueryError, String(e));
            assert.deepEqual({ message: e.reason, position: e.position }, c.error);
            assert.ok(e.message.endsWith(`(at column ${c.error!.position + 1})`));
            return true;
          },
        );
      } else {
        assert.deepEqual(filterRuns(c.query, CASES.runs), c.ids);
      }
    });
  }
});

describe('query language: pieces', () => {
  it('the vocabulary mirrors python-runner/mlwb/query_grammar.json exactly', () => {
    assert.deepEqual(GRAMMAR, JSON.parse(fs.readFileSync(path.join(RUNNER_DIR, 'mlwb/query_grammar.json'), 'utf8')));
  });

  it('numbers as text the way Python writes them', () => {
    const cases: [number, string][] = [
      [5, '5'], [0.1, '0.1'], [1e-5, '1e-05'], [0.0001, '0.0001'], [123.45, '123.45'], [-2.5e-7, '-2.5e-07'],
      [1.5e16, '1.5e+16'], [1e16, '1e+16'], [NaN, 'nan'], [-Infinity, '-inf'], [1 / 3, '0.3333333333333333'],
    ];
    for (const [x, text] of cases) assert.equal(numberText(x), text, String(x));
  });

  it('names the params, metrics and tags a query reads', () => {
    const node = parseQuery("metrics.a > 1 or (params.b = 'x' and not tags.`c d` IS NULL) and status = 'running' and metrics.a < 5");
    assert.deepEqual(queryKeys(node), { params: ['b'], metrics: ['a'], tags: ['c d'], attributes: ['status'] });
  });
});
