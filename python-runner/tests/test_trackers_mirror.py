"""Where mlflow / wandb / tensorboardX are installed they stay in charge, and what they log is mirrored into the run.

The installed packages are stood in for by the fakes of tests/data/fake_real_packages (the real ones are not in
Debian): they record every call they get, so each test checks both sides: the library got every call once, and the
run has what was logged, once.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from helpers import statuses
from tracker_helpers import FAKE_REAL, by_name, experiment_of, files, manifest, notes, params, run_dirs, run_runner, series, tags, write

pytest.importorskip("sklearn")


def run_with_real(script: Path, store: Path, tmp_path: Path) -> List[Dict[str, Any]]:
    log = tmp_path / "real-calls.jsonl"
    runner_dir = Path(__file__).resolve().parents[1]
    result = run_runner(script, store, extra_env={"PYTHONPATH": f"{runner_dir}:{FAKE_REAL}", "FAKE_REAL_LOG": str(log)})
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in log.read_text().splitlines()]


def calls(real: List[Dict[str, Any]], package: str, call: str) -> List[Dict[str, Any]]:
    return [c for c in real if c["package"] == package and c["call"] == call]


def test_a_real_mlflow_stays_in_charge_and_its_runs_are_mirrored(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "train.py", """
        import mlflow
        import mlflow.sklearn
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        X, y = load_iris(return_X_y=True)
        mlflow.set_experiment("mirrored")
        with mlflow.start_run(run_name="outer") as run:
            mlflow.log_params({"C": 0.5, "penalty": "l2"})
            mlflow.log_metric("acc", 0.9, step=1)
            mlflow.set_tag("k", "v")
            with mlflow.start_run(run_name="inner", nested=True):
                mlflow.log_metric("inner_m", 1.0)
            model = LogisticRegression(C=0.5, max_iter=500).fit(X, y)
            mlflow.sklearn.log_model(model, "model")
        print("real", mlflow.__version__, run.info.run_id)
    """)
    real = run_with_real(script, store, tmp_path)
    assert len(calls(real, "mlflow", "start_run")) == 2 and len(calls(real, "mlflow", "end_run")) == 2
    assert [c["key"] for c in calls(real, "mlflow", "log_param")] == ["C", "penalty"]
    assert len(calls(real, "mlflow", "sklearn.log_model")) == 1
    outer_real = calls(real, "mlflow", "start_run")[0]["run_id"]

    runs = by_name(store)
    assert set(runs) == {"outer", "inner"}
    outer, inner = runs["outer"], runs["inner"]
    assert experiment_of(outer) == "mirrored" and experiment_of(inner) == "mirrored"
    assert manifest(inner)["parent"] == outer.name
    assert {k: v for k, v in params(outer).items() if not k.startswith("autolog.")} == {"C": 0.5, "penalty": "l2"}
    assert series(outer)["acc"]["step"] == [1] and series(inner)["inner_m"]["value"] == [1.0]
    assert tags(outer) == {"k": "v", "mlflow.run_id": outer_real}
    assert "model/model.pkl" in files(outer) and "model/MLmodel" in files(outer)
    assert statuses(outer)[-1]["status"] == "completed" and statuses(inner)[-1]["status"] == "completed"
    assert any("mlflow is installed: it stays in charge" in n for n in notes(outer))
    assert not any("stand-in for it is in use" in n for d in runs.values() for n in notes(d))


def test_a_real_wandb_stays_in_charge_and_its_run_is_mirrored(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "train.py", """
        import wandb
        run = wandb.init(project="mirror-proj", name="w1", config={"lr": 0.1}, tags=["t"])
        for i in range(3):
            wandb.log({"loss": 1.0 / (i + 1), "nested": {"acc": i / 3}})
        run.config.batch = 8
        run.log({"loss": 0.1})
        wandb.finish()
        print("real", wandb.__version__)
    """)
    real = run_with_real(script, store, tmp_path)
    assert len(calls(real, "wandb", "init")) == 1 and len(calls(real, "wandb", "log")) == 4
    assert len(calls(real, "wandb", "finish")) == 1
    (run_dir,) = run_dirs(store)
    assert experiment_of(run_dir) == "mirror-proj"
    assert params(run_dir) == {"lr": 0.1, "batch": 8}
    s = series(run_dir)
    assert s["loss"]["step"] == [0, 1, 2, 3] and s["nested/acc"]["step"] == [0, 1, 2]
    assert tags(run_dir)["t"] == "" and "wandb.run_id" in tags(run_dir)
    assert json.loads((run_dir / "files" / "wandb-summary.json").read_text())["loss"] == 0.1
    assert statuses(run_dir)[-1]["status"] == "completed"


def test_a_real_tensorboardx_writer_stays_in_charge_and_is_mirrored_once(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    script = write(tmp_path / "train.py", """
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from tensorboardX import SummaryWriter
        w = SummaryWriter(logdir="runs/a")
        for i in range(3):
            w.add_scalar("loss", 1.0 / (i + 1), i)
        w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.8})
        fig = plt.figure(); plt.plot([1, 2])
        w.add_figure("fig", fig, 0)
        w.add_graph(object())
        w.close()
    """)
    real = run_with_real(script, store, tmp_path)
    scalars = calls(real, "tensorboardX", "add_scalar")
    assert [c["tag"] for c in scalars] == ["loss", "loss", "loss", "hparam/acc"]  # the writer did its own work
    assert len(calls(real, "tensorboardX", "add_figure")) == 1 and len(calls(real, "tensorboardX", "add_graph")) == 1
    (run_dir,) = run_dirs(store)
    s = series(run_dir)
    assert s["loss"]["step"] == [0, 1, 2]
    assert s["hparam/acc"]["value"] == [0.8]  # once: add_hparams' inner add_scalar is not recorded again
    assert params(run_dir) == {"lr": 0.1}
    assert (run_dir / "files" / "figures" / "fig" / "step-0.png").read_bytes()[:4] == b"\x89PNG"
    assert any("add_graph is kept by TensorBoard only" in n for n in notes(run_dir))
