"""Metrics: keys, grouped logging, step rules, summaries, read/stats paging, value types."""
from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from helpers import series
from mlwb import Experiment


def test_prefixed_and_grouped_keys_and_steps(store: Path) -> None:
    with Experiment("m", root=store) as exp:
        exp.metrics("train").log(step=10, loss=1.0, acc=0.5)
        exp.metrics.log(epoch=2, train=dict(loss=0.8), eval=dict(loss=0.9, deep=dict(x=1)))
        exp.metrics("train").log(loss=0.7)  # no step: previous step of that key + 1
        exp.metrics.log(lr=0.1)
        exp.metrics.log(lr=0.2)
        exp.metrics.log(step=5, epoch=1, y=3)  # with both, epoch is a value
    s = series(exp.run_dir)
    assert s["train/loss"]["step"] == [10, 2, 3] and s["train/loss"]["value"] == [1.0, 0.8, 0.7]
    assert s["train/acc"]["step"] == [10]
    assert s["eval/loss"]["step"] == [2] and s["eval/deep/x"]["value"] == [1.0]
    assert s["lr"]["step"] == [0, 1]
    assert s["epoch"]["step"] == [5] and s["epoch"]["value"] == [1.0] and s["y"]["step"] == [5]
    t = s["train/loss"]["time"]
    assert t == sorted(t) and all(isinstance(x, float) for x in t)


def test_fluent_flush_returns_builder(store: Path) -> None:
    with Experiment("fluent", root=store) as exp:
        b = exp.metrics("a").log(x=1)
        assert b.flush() is b
        assert exp.metrics.log(y=1).flush() is exp.metrics
        assert series(exp.run_dir)["a/x"]["value"] == [1.0]  # flushed before the run ended


def test_buffer_summaries_match_statistics(store: Path) -> None:
    xs = [0.3, 1.7, 2.2, 0.1, 5.5, 3.3, 2.2, 9.0, 4.4, 0.9]
    with Experiment("buf", root=store) as exp:
        for x in xs:
            exp.metrics("train").buffer(loss=x)
            exp.metrics.buffer(eval=dict(loss=2 * x))
        exp.metrics.buffer.log_summary("mean", "std", "min", "max", "count", "p50", "p90", "p95", "p99", epoch=4)
        exp.metrics("train").buffer(loss=1.0)
        exp.metrics.buffer.log_summary()  # default: mean only, buffer was cleared
    s = series(exp.run_dir)
    q = statistics.quantiles(xs, n=100, method="inclusive")
    expected = {"mean": statistics.mean(xs), "std": statistics.pstdev(xs), "min": min(xs), "max": max(xs),
                "count": len(xs), "p50": statistics.median(xs), "p90": q[89], "p95": q[94], "p99": q[98]}
    for agg, value in expected.items():
        assert s[f"train/loss.{agg}"]["step"][0] == 4
        assert s[f"train/loss.{agg}"]["value"][0] == pytest.approx(value)
    assert s["eval/loss.mean"]["value"][0] == pytest.approx(2 * statistics.mean(xs))
    assert s["train/loss.mean"]["value"] == [pytest.approx(statistics.mean(xs)), 1.0]
    assert len(s["train/loss.std"]["value"]) == 1
    with pytest.raises(ValueError, match="unknown aggregation"):
        exp.metrics.buffer.log_summary("median")


def test_read_paging_and_stats(store: Path) -> None:
    with Experiment("read", root=store) as exp:
        for i in range(250):
            exp.metrics("train").log(step=i, loss=float(i))
        page = exp.metrics("train/loss").read(start_index=0, limit=100)
        assert (page["startIndex"], page["endIndex"], page["total"], page["hasMore"]) == (0, 100, 250, True)
        assert page["data"][0] == {"step": 0, "value": 0.0, "time": page["data"][0]["time"], "index": 0}
        last = exp.metrics("train/loss").read(start_index=200, limit=100)
        assert [d["index"] for d in last["data"]] == list(range(200, 250)) and last["hasMore"] is False
        exp.metrics("train").log(step=250, loss=1000.0)  # read() sees points logged after an earlier read
        assert exp.metrics("train/loss").read(start_index=250)["data"][0]["value"] == 1000.0
    stats = exp.metrics("train/loss").stats()  # still readable after the run ended
    assert stats == {"count": 251, "firstValue": 0.0, "lastValue": 1000.0, "min": 0.0, "max": 1000.0,
                     "mean": pytest.approx((sum(range(250)) + 1000) / 251)}
    assert exp.metrics("nope").stats()["count"] == 0


def test_value_types(store: Path) -> None:
    with Experiment("types", root=store) as exp:
        exp.metrics.log(step=0, i=3, b=True, f=0.5)
        with pytest.raises(TypeError, match="'s' must be a number"):
            exp.metrics.log(s="1.0")
        with pytest.raises(TypeError, match="must be a number"):
            exp.metrics.log(lst=[1, 2])
        with pytest.raises(TypeError, match="must be a number"):
            exp.metrics("g").log(x=None)
    s = series(exp.run_dir)
    assert (s["i"]["value"], s["b"]["value"], s["f"]["value"]) == ([3.0], [1.0], [0.5])


def test_numpy_and_torch_scalars(store: Path) -> None:
    np = pytest.importorskip("numpy")
    with Experiment("np", root=store) as exp:
        exp.metrics.log(step=np.int64(2), a=np.float32(0.5), b=np.int64(7), c=np.float64("nan"))
        with pytest.raises(TypeError):
            exp.metrics.log(arr=np.array([1.0, 2.0]))
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None:
            exp.metrics.log(step=3, t=torch.tensor(1.25))
            with pytest.raises(TypeError):
                exp.metrics.log(t=torch.ones(3))
    s = series(exp.run_dir)
    assert s["a"]["step"] == [2] and s["a"]["value"] == [0.5] and s["b"]["value"] == [7.0] and s["c"]["value"] == ["NaN"]
    if "t" in s:
        assert s["t"]["value"] == [1.25]


def test_logging_without_open_run_is_an_error(store: Path) -> None:
    exp = Experiment("closed", root=store)
    with pytest.raises(RuntimeError, match="no open run"):
        exp.metrics("a").log(x=1)
    with pytest.raises(RuntimeError, match="no open run"):
        exp.log("x")


def test_a_prefix_reads_back_the_points_logged_under_it_as_ml_dash_does(store: Path) -> None:
    # ML-Dash: metrics("train").log(loss=..., accuracy=...) then metrics("train").read() gives those points,
    # each the dict of the fields logged together.
    logged = [dict(loss=1 / (e + 1), accuracy=e / 10) for e in range(120)]
    with Experiment("dash", root=store) as exp:
        train = exp.metrics("train")
        for epoch, fields in enumerate(logged):
            train.log(epoch=epoch, **fields)
        train.log(lr=0.01)                                    # a call with another field: its own point
        exp.metrics.log(epoch=3, train=dict(loss=5.0), eval=dict(loss=6.0))  # grouped: train's part is one point
        exp.metrics("eval").log(loss=0.2)
        page = train.read()
        assert (page["startIndex"], page["endIndex"], page["total"], page["hasMore"]) == (0, 100, 122, True)
        assert [p["data"] for p in page["data"]] == logged[:100]
        assert [p["step"] for p in page["data"]] == list(range(100))
        assert page["data"][0]["index"] == 0 and page["data"][0]["createdAt"].endswith("Z")
        rest = train.read(start_index=100, limit=100)
        assert [p["data"] for p in rest["data"]] == [*logged[100:], {"lr": 0.01}, {"loss": 5.0}]
        assert rest["hasMore"] is False and rest["endIndex"] == 122
        rest["data"][0]["data"]["loss"] = -1.0                # a copy: reading again is unchanged
        assert train.read(start_index=100, limit=1)["data"][0]["data"] == logged[100]
        assert exp.metrics("train/loss").read(limit=2)["data"][1]["value"] == 0.5  # a series reads as before
    stats = exp.metrics("train").stats()
    assert stats["name"] == "train" and stats["count"] == stats["totalDataPoints"] == 122
    assert stats["firstValue"] == logged[0] and stats["lastValue"] == {"loss": 5.0}
    assert stats["fields"]["accuracy"] == exp.metrics("train/accuracy").stats()
    assert stats["fields"]["loss"]["count"] == 121 and stats["fields"]["lr"]["lastValue"] == 0.01
    assert stats["firstDataAt"] <= stats["lastDataAt"]
    assert [p["data"] for p in exp.metrics("eval").read()["data"]] == [{"loss": 6.0}, {"loss": 0.2}]
