"""Parameters (flatten, nest, merge) and leveled logs."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import of_type
from mlwb import Experiment
from mlwb._params import flatten, unflatten


def test_flatten_and_nest_round_trip() -> None:
    nested = {"lr": 0.1, "model": {"arch": "resnet", "opt": {"name": "adam", "betas": [0.9, 0.99]}}, "empty": {}}
    flat = flatten(nested)
    assert flat == {"lr": 0.1, "model.arch": "resnet", "model.opt.name": "adam", "model.opt.betas": [0.9, 0.99], "empty": {}}
    assert unflatten(flat) == nested


def test_params_merge_and_records(store: Path) -> None:
    with Experiment("p", root=store) as exp:
        exp.params.set(lr=0.1, model={"arch": "resnet", "layers": 50})
        exp.params.set(model={"layers": 18}, batch=32)
        assert exp.params.get() == {"lr": 0.1, "model.arch": "resnet", "model.layers": 18, "batch": 32}
        assert exp.params.get(flatten=False) == {"lr": 0.1, "model": {"arch": "resnet", "layers": 18}, "batch": 32}
        exp.params.set(model="tiny")  # a leaf replaces the subtree it conflicts with
        assert exp.params.get(flatten=False) == {"lr": 0.1, "model": "tiny", "batch": 32}
    recs = of_type(exp.run_dir, "params")
    assert len(recs) == 3
    assert recs[-1]["values"] == {"lr": 0.1, "batch": 32, "model": "tiny"}


def test_params_set_before_start_are_written_at_start(store: Path) -> None:
    exp = Experiment("early", root=store)
    exp.params.set(seed=7)
    with exp.run:
        pass
    assert of_type(exp.run_dir, "params")[0]["values"] == {"seed": 7}


def test_logs_levels_and_metadata(store: Path) -> None:
    with Experiment("logs", root=store) as exp:
        exp.log("plain")
        exp.logs.debug("d", step=1)
        exp.logs.info("i")
        exp.logs.warn("w")
        exp.logs.error("e", code=500)
        exp.logs.fatal("f")
        with pytest.raises(ValueError, match="invalid log level"):
            exp.log("bad", level="verbose")
    logs = of_type(exp.run_dir, "log")
    assert [(r["level"], r["msg"]) for r in logs] == [
        ("info", "plain"), ("debug", "d"), ("info", "i"), ("warn", "w"), ("error", "e"), ("fatal", "f")]
    assert logs[1]["meta"] == {"step": 1} and logs[4]["meta"] == {"code": 500} and "meta" not in logs[0]
