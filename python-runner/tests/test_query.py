"""The run query language (mlwb._query) on the cases shared with the extension's TypeScript parser."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlwb import _query as q

CASES = json.loads((Path(__file__).parent / "data" / "query-cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["query"] or "<empty>")
def test_shared_case(case):
    if "error" in case:
        with pytest.raises(q.QueryError) as e:
            q.filter_runs(case["query"], CASES["runs"])
        assert (e.value.message, e.value.position) == (case["error"]["message"], case["error"]["position"])
        assert str(e.value).endswith(f"(at column {case['error']['position'] + 1})")
    else:
        assert [r["run_id"] for r in q.filter_runs(case["query"], CASES["runs"])] == case["ids"]


@pytest.mark.parametrize("x, text", [(5, "5"), (5.0, "5"), (0.1, "0.1"), (1e-05, "1e-05"), (0.0001, "0.0001"), (123.45, "123.45"),
                                     (-2.5e-7, "-2.5e-07"), (1.5e16, "1.5e+16"), (1e16, "1e+16"), (float("nan"), "nan"),
                                     (float("-inf"), "-inf"), (1 / 3, "0.3333333333333333")])
def test_number_text(x, text):
    assert q.number_text(x) == text


def test_keys_of_names_what_a_query_reads():
    node = q.parse("metrics.a > 1 or (params.b = 'x' and not tags.`c d` IS NULL) and status = 'running' and metrics.a < 5")
    assert q.keys_of(node) == {"params": ["b"], "metrics": ["a"], "tags": ["c d"]}


def test_grammar_file_is_the_one_the_module_reads():
    assert q.GRAMMAR == json.loads((Path(q.__file__).parent / "query_grammar.json").read_text(encoding="utf-8"))
