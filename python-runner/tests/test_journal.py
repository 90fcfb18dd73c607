"""Every record type round-trips through events.jsonl; encoding rules; flush and heartbeat timing."""
from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

import mlwb
from helpers import events, of_type, series, wait_for
from mlwb import Experiment


def test_every_record_type_round_trips(store: Path) -> None:
    with Experiment("rt", root=store) as exp:
        exp.params.set(lr=0.1)
        exp.log("hello", level="warn", metadata={"a": 1}, b="x")
        exp.metrics("train").log(step=3, loss=0.5)
        exp.files("cfg").save_json({"k": 1}, to="c.json", description="d", tags=["t"], metadata={"m": 2})
    recs = events(exp.run_dir)
    assert all(r["v"] == mlwb.JOURNAL_VERSION == 1 and isinstance(r["ts"], float) for r in recs)
    by_type = {r["t"]: r for r in recs}
    assert by_type["params"]["values"] == {"lr": 0.1}
    assert by_type["log"]["level"] == "warn" and by_type["log"]["msg"] == "hello"
    assert by_type["log"]["meta"] == {"a": 1, "b": "x"}
    assert by_type["metrics"]["series"]["train/loss"]["step"] == [3]
    assert by_type["metrics"]["series"]["train/loss"]["value"] == [0.5]
    f = by_type["file"]
    assert (f["op"], f["path"], f["description"], f["tags"], f["meta"]) == ("save", "cfg/c.json", "d", ["t"], {"m": 2})
    assert len(f["sha256"]) == 64 and f["size"] > 0
    assert [r["status"] for r in recs if r["t"] == "status"] == ["running", "completed"]
    assert recs[0]["t"] == "status" and recs[-1] == {**recs[-1], "t": "status", "status": "completed"}


def test_non_finite_floats_are_strings(store: Path) -> None:
    with Experiment("nan", root=store) as exp:
        exp.params.set(a=float("nan"), b={"c": float("inf")})
        exp.log("x", v=float("-inf"))
        exp.metrics.log(step=0, m=float("nan"), p=float("inf"), n=float("-inf"), ok=1.5)
    s = series(exp.run_dir)  # events() fails on bare NaN/Infinity
    assert (s["m"]["value"], s["p"]["value"], s["n"]["value"], s["ok"]["value"]) == (["NaN"], ["Infinity"], ["-Infinity"], [1.5])
    assert of_type(exp.run_dir, "params")[-1]["values"] == {"a": "NaN", "b.c": "Infinity"}
    assert of_type(exp.run_dir, "log")[0]["meta"] == {"v": "-Infinity"}
    assert math.isnan(exp.metrics("m").read()["data"][0]["value"])


def test_status_is_written_after_all_data(store: Path) -> None:
    exp = Experiment("order", root=store).start()
    for i in range(50):
        exp.metrics("a").log(x=i)
        exp.log(f"line {i}")
    exp.complete()
    recs = events(exp.run_dir)
    assert recs[-1]["t"] == "status" and recs[-1]["status"] == "completed"
    assert [r["msg"] for r in recs if r["t"] == "log"] == [f"line {i}" for i in range(50)]
    assert series(exp.run_dir)["a/x"]["value"] == [float(i) for i in range(50)]


def test_flushes_within_a_second_without_flush(store: Path) -> None:
    exp = Experiment("auto-flush", root=store).start()
    try:
        exp.metrics("train").log(loss=0.25)
        exp.log("pending")
        wait_for(lambda: "train/loss" in series(exp.run_dir, True) and of_type(exp.run_dir, "log", True),
                 "the flusher to write the point and the log line", 10, seen=lambda: events(exp.run_dir, True))
        assert series(exp.run_dir)["train/loss"]["value"] == [0.25]
    finally:
        exp.complete()


def test_heartbeats_while_open(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mlwb._journal.FLUSH_INTERVAL_S", 0.05)
    monkeypatch.setattr("mlwb._journal.HEARTBEAT_INTERVAL_S", 0.1)
    exp = Experiment("beat", root=store).start()
    wait_for(lambda: len(of_type(exp.run_dir, "heartbeat", True)) >= 2, "two heartbeats", 10, seen=lambda: events(exp.run_dir, True))
    exp.complete()
    beats = of_type(exp.run_dir, "heartbeat")
    assert len(beats) >= 2 and beats[1]["ts"] - beats[0]["ts"] >= 0.09
    # None after the run ended: the status is the last record, and the thread that writes heartbeats is gone.
    assert events(exp.run_dir)[-1]["t"] == "status"
    assert not [t for t in threading.enumerate() if t.name == f"mlwb-flush-{exp.run_dir.name}"]


def test_unserialisable_metadata_becomes_text(store: Path) -> None:
    with Experiment("meta", root=store) as exp:
        exp.log("obj", path=Path("/x/y"), s={3})
    assert of_type(exp.run_dir, "log")[0]["meta"] == {"path": "/x/y", "s": [3]}
