"""Metric points are buffered as rows of calls (mlwb/_metricbatch.py): whatever the mix of key sets,
builders, counted and explicit steps, flushes and non-finite values, every key's series is what one
point at a time would give, in order."""
from __future__ import annotations

import math
import os
import random
from pathlib import Path
from typing import Any, Dict, List, Tuple

from helpers import series
from mlwb import Experiment

SEED = int(os.environ.get("MLWB_FAULT_SEED", "0")) or random.randrange(1, 10**6)


def test_rows_of_calls_give_each_key_its_points_in_order(store: Path) -> None:
    rng = random.Random(SEED)
    expected: Dict[str, List[Tuple[Any, float]]] = {}
    last: Dict[str, Any] = {}
    names = ["loss", "acc", "lr", "x"]
    with Experiment("rows", root=store) as exp:
        for i in range(3000):
            prefix = rng.choice(["", "train", "eval"])
            picked = rng.sample(names, rng.randint(1, 3))
            values: Dict[str, Any] = {n: rng.choice([rng.random(), float(i), math.nan, math.inf, 3]) for n in picked}
            step = rng.choice([None, None, i, i + 0.5])
            if rng.random() < 0.05:  # a key twice in one call: "g/loss" given flat and nested
                target = exp.metrics
                values = {"g/loss": 1.0, "g": {"loss": 2.0}}
                prefix = ""
            else:
                target = exp.metrics(prefix) if prefix else exp.metrics
            target.log(step=step, **values)
            flat = [(f"{prefix}/{n}" if prefix else n, v) for n, v in values.items()]
            if "g" in values:
                flat = [("g/loss", 1.0), ("g/loss", 2.0)]
            for key, v in flat:
                s = last.get(key, -1) + 1 if step is None else (int(step) if float(step).is_integer() else step)
                last[key] = s
                expected.setdefault(key, []).append((s, float(v)))
            if rng.random() < 0.01:
                exp.flush()
    got = series(exp.run_dir)
    assert sorted(got) == sorted(expected), SEED
    for key, points in expected.items():
        steps = [s for s, _ in points]
        vals = [v for _, v in points]
        assert got[key]["step"] == steps, (SEED, key)
        read = [float(v) for v in got[key]["value"]]  # non-finite values are the strings "NaN", "Infinity"
        assert len(read) == len(vals) and all(a == b or (a != a and b != b) for a, b in zip(read, vals)), (SEED, key)
        assert got[key]["time"] == sorted(got[key]["time"]), (SEED, key)


def test_one_call_shares_its_time_and_step(store: Path) -> None:
    with Experiment("rows-time", root=store) as exp:
        train = exp.metrics("train")
        for i in range(50):
            train.log(step=i, loss=1.0 / (i + 1), acc=i / 50)
    s = series(exp.run_dir)
    assert s["train/loss"]["time"] == s["train/acc"]["time"]
    assert s["train/loss"]["step"] == s["train/acc"]["step"] == list(range(50))
    assert s["train/loss"]["value"] == [1.0 / (i + 1) for i in range(50)]


def test_many_pending_points_are_written_before_the_second_is_up(store: Path, monkeypatch) -> None:
    """A block of EARLY_FLUSH_POINTS points wakes the flush thread (pending memory stays small)."""
    import time

    from helpers import of_type
    from mlwb import _journal

    monkeypatch.setattr(_journal, "FLUSH_INTERVAL_S", 3600.0)  # only the early flush can write
    exp = Experiment("rows-early", root=store).start()
    try:
        train = exp.metrics("train")
        for i in range(_journal.EARLY_FLUSH_POINTS // 2):
            train.log(step=i, loss=float(i), acc=0.5)
        deadline = time.monotonic() + 30
        while not of_type(exp.run_dir, "metrics") and time.monotonic() < deadline:
            time.sleep(0.02)
        written = series(exp.run_dir)
        assert written["train/loss"]["step"] == list(range(_journal.EARLY_FLUSH_POINTS // 2))
    finally:
        exp.complete()
