"""Scripts written for Weights & Biases run unchanged under `python -m mlwb run` (wandb is not installed: its stand-in)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from helpers import statuses
from tracker_helpers import copy_script, experiment_of, files, notes, of_type, params, run_dirs, run_runner, series, tags, write

pytest.importorskip("torch")
pytest.importorskip("sklearn")


def test_a_wandb_training_loop_logs_config_metrics_media_and_summary_into_the_run(store: Path, tmp_path: Path) -> None:
    result = run_runner(copy_script("wandb_train.py", tmp_path), store, args=["--epochs", "2", "--lr", "0.02"], timeout=120)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    assert experiment_of(run_dir) == "digits-mlp"
    assert of_type(run_dir, "claimed")[-1]["name"] == "mlp-baseline"
    assert statuses(run_dir)[-1]["status"] == "completed"
    assert tags(run_dir) == {"mlp": "", "digits": "", "job_type": "train"}
    p = params(run_dir)
    assert p["lr"] == 0.02 and p["epochs"] == 2 and p["hidden"] == 32  # argparse config, then config.update
    assert p["optimizer.name"] == "adam" and p["optimizer.betas"] == [0.9, 0.999]  # nested config: dotted params

    s = series(run_dir)
    # 15 batches per epoch, each a W&B step; the epoch's log is step 15 (then 31): nested dicts are flattened with "/"
    assert s["train/loss"]["step"] == [*range(15), *range(16, 31)]
    assert s["epoch"]["step"] == [15, 31] and s["epoch"]["value"] == [0, 1]
    assert s["val/acc"]["step"] == [0, 1]  # define_metric("val/*", step_metric="epoch")
    for stat in ("count", "min", "max", "mean", "std"):
        assert s[f"weights.{stat}"]["step"] == [15, 31]
    assert s["weights.count"]["value"] == [32 * 64, 32 * 64]
    assert s["summary/best_val_acc"]["value"] == [s["val/acc"]["value"][-1]]

    f = files(run_dir)
    (table,) = [k for k in f if k.startswith("media/predictions/") and k.endswith(".csv")]
    with open(run_dir / "files" / table, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["image", "pred", "label"] and len(rows) == 5
    for row in rows[1:]:
        assert row[0] in f and (run_dir / "files" / row[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (noise,) = [k for k in f if k.startswith("media/noise/")]
    assert "image" in f[noise]["tags"]
    summary = json.loads((run_dir / "files" / "wandb-summary.json").read_text())
    assert summary["best_val_acc"] == summary["val/acc"] == s["val/acc"]["value"][-1]
    assert summary["train/loss"] == s["train/loss"]["value"][-1]

    assert sum("wandb is not installed" in n for n in notes(run_dir, "info")) == 1
    (watch,) = [n for n in notes(run_dir, "warn") if "wandb.watch" in n]
    assert "not recorded" in watch and result.stderr.count("wandb.watch(") == 1


def test_wandb_step_rules_config_access_and_errors(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "steps.py", """
        import wandb
        try:
            wandb.config.lr
        except wandb.Error as e:
            print("before init:", e)
        with wandb.init(config={"lr": 0.1, "model": {"depth": 3}}) as run:
            assert wandb.run is run and wandb.config.lr == 0.1 and wandb.config["model"] == {"depth": 3}
            wandb.config.batch = 64
            wandb.config["seed"] = 1
            wandb.log({"a": 1}, commit=False)   # the same step as the next log
            wandb.log({"b": 2})
            wandb.log({"a": 3}, step=10)
            wandb.log({"a": 4}, step=5)          # backwards: ignored, as W&B does, with a warning
            wandb.log({"a": 5})
            wandb.log({"txt": "hello", "arr": [1.0, 2.0, 3.0], "html": wandb.Html("<b>x</b>")})
            wandb.log({"video": wandb.Video("clip.mp4")})
            run.tags = ("kept", "new")
            run.summary.update({"final": 7, "name": "ok"})
        print("after finish:", wandb.run)
        run2 = wandb.init(project="second", tags=["kept"])
        wandb.finish(exit_code=2)
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    assert "before init: You must call wandb.init() before wandb.config" in result.stdout
    assert "after finish: None" in result.stdout
    first, second = sorted(run_dirs(store), key=lambda d: experiment_of(d) == "second")
    s = series(first)
    assert s["a"]["step"] == [0, 10, 10] and s["a"]["value"] == [1, 3, 5]  # step=5 dropped
    assert s["b"]["step"] == [0]
    assert s["arr.mean"]["value"] == [2.0] and s["summary/final"]["value"] == [7]
    assert params(first) == {"lr": 0.1, "model.depth": 3, "batch": 64, "seed": 1}
    assert tags(first) == {"kept": "", "new": ""}
    assert any(e["msg"] == "hello" and e["meta"]["key"] == "txt" for e in of_type(first, "log"))
    assert any(p.endswith(".html") for p in files(first))
    warned = notes(first, "warn")
    assert any("step=5" in w and "ignored" in w for w in warned)
    assert any("wandb.log of a Video" in w for w in warned)
    assert statuses(first)[-1]["status"] == "completed"
    assert experiment_of(second) == "second" and statuses(second)[-1]["status"] == "failed"
    assert statuses(second)[-1]["exit_code"] == 2


def test_wandb_files_artifacts_and_charts(store: Path, tmp_path: Path) -> None:
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "model.bin").write_bytes(b"weights-1")
    script = write(tmp_path / "files.py", """
        import wandb
        run = wandb.init(project="files")
        wandb.save("ckpt/*.bin")
        open("ckpt/model.bin", "wb").write(b"weights-2")   # saved again, as it is at the end
        art = wandb.Artifact("dataset", type="dataset", metadata={"rows": 2})
        with art.new_file("rows.csv") as f:
            f.write("a,b\\n1,2\\n")
        run.log_artifact(art, aliases=["latest"])
        wandb.log({"cm": wandb.plot.confusion_matrix(y_true=[0, 1, 1], preds=[0, 1, 0], class_names=["no", "yes"]),
                   "curve": wandb.plot.line(wandb.Table(columns=["x", "y"], data=[[0, 1], [1, 2]]), "x", "y", title="c")})
        wandb.finish()
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    f = files(run_dir)
    assert (run_dir / "files" / "ckpt" / "model.bin").read_bytes() == b"weights-2"
    assert (run_dir / "files" / "artifacts" / "dataset" / "rows.csv").read_text() == "a,b\n1,2\n"
    meta = json.loads((run_dir / "files" / "artifacts" / "dataset" / "artifact.json").read_text())
    assert meta["type"] == "dataset" and meta["metadata"] == {"rows": 2} and meta["aliases"] == ["latest"]
    (cm,) = [p for p in f if p.startswith("media/cm/")]
    with open(run_dir / "files" / cm, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Actual", "Predicted", "nPredictions"]
    assert ["yes", "no", "1"] in rows and ["yes", "yes", "1"] in rows and ["no", "no", "1"] in rows
    assert any(p.startswith("media/curve/") for p in f)
