"""Pure parts of the tracker adapters: the run filter subset, the PNG encoder, histogram summaries."""
from __future__ import annotations

import io

import pytest

from mlwb.compat import run_filter
from mlwb.compat._media import array_png, histogram_summary, table_csv

CASES = [  # (filter, run, matches)
    ("metrics.acc > 0.9", {"metrics": {"acc": 0.95}}, True),
    ("metrics.acc > 0.9", {"metrics": {"acc": 0.9}}, False),
    ("metrics.acc >= 0.9 and metrics.loss < 1e-1", {"metrics": {"acc": 0.9, "loss": 0.05}}, True),
    ("metrics.acc > 0.5", {"metrics": {}}, False),  # a run without the metric never matches
    ("params.model = 'rf'", {"params": {"model": "rf"}}, True),
    ('params.model != "rf"', {"params": {"model": "rf"}}, False),
    ("params.model LIKE 'r%'", {"params": {"model": "rf"}}, True),
    ("params.model LIKE 'R%'", {"params": {"model": "rf"}}, False),
    ("params.model ILIKE 'R_'", {"params": {"model": "rf"}}, True),
    ("tags.`team name` = 'a b'", {"tags": {"team name": "a b"}}, True),
    ('tags."mlflow.parentRunId" = \'p1\'', {"tags": {"mlflow.parentRunId": "p1"}}, True),
    ("tags.mlflow.parentRunId = 'p1'", {"tags": {"mlflow.parentRunId": "p2"}}, False),
    ("attributes.status = 'FINISHED'", {"attributes": {"status": "FINISHED"}}, True),
    ("status != 'FAILED' AND run_name LIKE '%-5'", {"attributes": {"status": "FINISHED", "run_name": "rf-5"}}, True),
    ("attributes.start_time > 1000", {"attributes": {"start_time": 2000}}, True),
    ("metrics.train/loss < 1", {"metrics": {"train/loss": 0.5}}, True),
    ("", {}, True),
    # The full query language (mlwb._query): OR, NOT, parentheses, IN (MLflow's own filter has no OR: mlflow#6075).
    ("metrics.a > 1 OR metrics.b > 1", {"metrics": {"a": 0, "b": 2}}, True),
    ("(metrics.a > 1 or metrics.b > 1) and params.lr IN ('0.1', '0.2')", {"metrics": {"a": 2}, "params": {"lr": "0.2"}}, True),
    ("not attributes.status = 'FINISHED'", {"attributes": {"status": "FAILED"}}, True),
    ("params.lr > 0.05", {"params": {"lr": "0.1"}}, True),
]


@pytest.mark.parametrize("text,run,expected", CASES)
def test_filter_cases(text: str, run: dict, expected: bool) -> None:
    clauses = run_filter.parse(text)
    assert run_filter.matches(clauses, lambda kind, key: run.get(kind, {}).get(key)) is expected


@pytest.mark.parametrize("text,says", [
    ("(metrics.a > 1", "expected ')' to close the '(' at column 1, found the end (at column 15)"),
    ("params.lr IN '1'", "expected '(' after IN"),
    ("params.lr > 'high'", "> compares numbers"),
    ("metrics.a = 'x'", "compares numbers"),
    ("foo = 1", "unknown key 'foo'"),
    ("metrics.a >", "expected a value"),
    ("metrics.a > 1 AND", "expected a key"),
    ("attributes.color = 'x'", "unknown attribute"),
    ("metrics.a > 1 && metrics.b > 1", "unexpected character '&' (at column 15)"),
])
def test_bad_filters_are_errors_that_say_why_and_where(text: str, says: str) -> None:
    with pytest.raises(run_filter.FilterError) as e:
        run_filter.parse(text)
    assert says in str(e.value)


def test_order_by() -> None:
    assert run_filter.parse_order_by(["metrics.rmse DESC", "start_time", "params.`a b` asc"]) == [
        ("metrics", "rmse", True), ("attributes", "start_time", False), ("params", "a b", False)]


def test_png_encoder_round_trips_through_pillow() -> None:
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    rgb = (np.arange(4 * 5 * 3) % 256).astype(np.uint8).reshape(4, 5, 3)
    for data, fmt, expected in ((rgb, "HWC", rgb), (rgb.transpose(2, 0, 1), "CHW", rgb),
                                (np.linspace(0, 1, 20).reshape(4, 5), "HW", np.round(np.linspace(0, 1, 20).reshape(4, 5) * 255))):
        img = Image.open(io.BytesIO(array_png(data, fmt)))
        img.load()
        assert img.size == (5, 4)
        assert (np.asarray(img).astype(float) == expected.astype(float)).all()


def test_histogram_summary_ignores_non_finite_values_but_counts_them() -> None:
    np = pytest.importorskip("numpy")
    s = histogram_summary(np.array([1.0, 2.0, 3.0, np.nan]))
    assert s == {"count": 4.0, "min": 1.0, "max": 3.0, "mean": 2.0, "std": pytest.approx((2 / 3) ** 0.5)}


def test_table_csv_quotes_cells() -> None:
    assert table_csv(["a", "b"], [["x,y", None], [1, 2.5]]) == b'a,b\n"x,y",\n1,2.5\n'


def test_the_store_reader_skips_malformed_records_and_keeps_the_rest(tmp_path) -> None:
    import json as _json

    from mlwb.compat import _store_reader

    run = tmp_path / "runs" / "20260101-000000-abcdef"
    run.mkdir(parents=True)
    (run / "run.json").write_text(_json.dumps({"id": run.name, "name": "r", "experiment": {"id": "e", "name": "e"}, "created": 1}))
    lines = [
        {"t": "metrics", "series": {"bad": {"step": [0], "value": [None], "time": [1]}}},
        {"t": "metrics", "series": {"short": {"step": [0, 1], "value": [1], "time": [1, 2]}}},
        {"t": "metrics", "series": {"ok": {"step": [0, 1], "value": [1, "NaN"], "time": [1, 2]}}},
        {"t": "tags", "tags": ["not", "a", "dict"]},
        {"t": "params", "values": {"lr": 0.1}},
        "not json",
    ]
    (run / "events.jsonl").write_text("".join((x if isinstance(x, str) else _json.dumps(x)) + "\n" for x in lines) + '{"t": "torn')
    (view,) = _store_reader.list_runs(tmp_path)
    assert set(view.series) == {"ok"} and view.series["ok"][0] == [0, 1]
    assert view.params == {"lr": 0.1} and view.tags == {}
