"""mlwb.search_runs on runs the SDK wrote: the query language, order_by, experiment_names, max_results, both outputs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlwb
from mlwb import Experiment
from mlwb.compat import _runs


def _write(store: Path) -> dict:
    ids = {}
    for exp_name, name, model, acc, labels, team, outcome in [
        ("team/iris", "rf-1", "rf", 0.95, ["baseline"], "ml-core", "complete"),
        ("team/iris", "gb-1", "gb", 0.85, [], "ML-Research", "fail"),
        ("team/wine", "rf-2", "rf", 0.91, [], None, "complete"),
    ]:
        exp = Experiment(exp_name, root=store, run_name=name, tags=labels).start()
        exp.params.set(model=model, lr=0.01 if model == "rf" else 0.1, seed=len(ids))
        exp.metrics("eval").log(step=0, acc=acc / 2)
        exp.metrics("eval").log(step=1, acc=acc)
        if team:
            _runs.set_tags(exp, {"team": team})
        getattr(exp, outcome)()
        ids[name] = exp.id
    # A rename and a deletion from the UI (edits.jsonl) count too.
    with open(store / "edits.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"v": 1, "t": "run.renamed", "run": ids["rf-2"], "name": "rf wine", "ts": 0}) + "\n")
    return ids


def test_filters_with_or_and_parentheses_and_returns_mlflow_columns(store: Path):
    ids = _write(store)
    df = mlwb.search_runs("(params.model = 'gb' or tags.team ILIKE 'ml-c%') and metrics.`eval/acc` > 0.8", store=store)
    assert list(df.run_id) == [ids["gb-1"], ids["rf-1"]]  # newest first
    assert list(df.columns[:6]) == ["run_id", "experiment_id", "run_name", "status", "start_time", "end_time"]
    assert {"metrics.eval/acc", "params.model", "params.lr", "params.seed", "tags.team", "tags.baseline"} <= set(df.columns)
    assert list(df.status) == ["FAILED", "FINISHED"]
    assert df.loc[df.run_id == ids["rf-1"], "metrics.eval/acc"].item() == 0.95  # the last value
    assert str(df.start_time.dtype).startswith("datetime64")


def test_list_output_order_by_experiment_names_and_max_results(store: Path):
    ids = _write(store)
    rows = mlwb.search_runs(order_by=["metrics.eval/acc DESC"], output_format="list", store=store)
    assert [r["run_id"] for r in rows] == [ids["rf-1"], ids["rf-2"], ids["gb-1"]]
    assert rows[1]["run_name"] == "rf wine" and rows[0]["tags.baseline"] == "" and rows[0]["params.lr"] == 0.01
    assert isinstance(rows[0]["start_time"], int) and rows[0]["end_time"] >= rows[0]["start_time"]
    assert [r["run_name"] for r in mlwb.search_runs("run_name LIKE 'rf%'", order_by="run_name", output_format="list", store=store)] == ["rf wine", "rf-1"]
    wine = mlwb.search_runs(experiment_names=["wine"], output_format="list", store=store)
    assert [r["run_id"] for r in wine] == [ids["rf-2"]]
    assert len(mlwb.search_runs(experiment_names=["team/iris"], output_format="list", store=store)) == 2
    assert [r["run_id"] for r in mlwb.search_runs(max_results=1, output_format="list", store=store)] == [ids["rf-2"]]
    with open(store / "edits.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"v": 1, "t": "run.deleted", "run": ids["rf-2"], "ts": 0}) + "\n")
    assert mlwb.search_runs("params.model = 'rf'", output_format="list", store=store) == mlwb.search_runs(
        "run_id = '" + ids["rf-1"] + "'", output_format="list", store=store)


def test_bad_input_says_what_and_where(store: Path):
    _write(store)
    with pytest.raises(mlwb.QueryError) as e:
        mlwb.search_runs("metrics.acc > 0.9 and params.model == ", store=store)
    assert e.value.position == 38 and "expected a value" in str(e.value) and "column 39" in str(e.value)
    with pytest.raises(mlwb.QueryError) as e:
        mlwb.search_runs(order_by=["metrics.acc sideways"], store=store)
    assert e.value.message == "expected ASC, DESC or the end, found 'sideways'" and e.value.position == 12
    with pytest.raises(ValueError, match="no experiment named 'nope'.*team/iris, team/wine"):
        mlwb.search_runs(experiment_names=["nope"], store=store)
    with pytest.raises(ValueError, match="output_format"):
        mlwb.search_runs(output_format="csv", store=store)


def test_without_pandas_returns_dicts(store: Path, monkeypatch: pytest.MonkeyPatch):
    ids = _write(store)
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    rows = mlwb.search_runs("params.model = 'gb'", store=store)
    assert isinstance(rows, list) and [r["run_id"] for r in rows] == [ids["gb-1"]]
    with pytest.raises(ImportError, match="needs pandas"):
        mlwb.search_runs(output_format="pandas", store=store)
