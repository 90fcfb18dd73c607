"""TensorBoard's SummaryWriter under `python -m mlwb run`: torch.utils.tensorboard (torch is real, TensorBoard is not
installed) and tensorboardX (not installed) get mlwb's stand-in writer."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import statuses
from tracker_helpers import copy_script, files, logs, manifest, notes, of_type, params, run_dirs, run_runner, series, tags

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")


def test_the_pytorch_tensorboard_tutorial_loop_is_recorded_although_tensorboard_is_missing(store: Path, tmp_path: Path) -> None:
    try:
        import torch.utils.tensorboard  # noqa: F401
        pytest.skip("TensorBoard is installed here: the fallback is not what runs")
    except ImportError:
        pass
    result = run_runner(copy_script("tensorboard_tutorial.py", tmp_path), store, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "trained" in result.stdout
    runs = run_dirs(store)
    (main,) = [d for d in runs if "parent" not in manifest(d)]
    (trial,) = [d for d in runs if "parent" in manifest(d)]
    s = series(main)
    assert s["Loss/train"]["step"] == [0, 1, 2]
    assert s["loss/train"]["value"] == s["Loss/train"]["value"] and s["loss/val"]["step"] == [0, 1, 2]
    for stat in ("count", "min", "max", "mean", "std"):
        assert s[f"fc1.weight.{stat}"]["step"] == [0, 1, 2]
    assert s["fc1.weight.count"]["value"] == [32 * 64] * 3
    assert all(lo <= m <= hi for lo, m, hi in zip(s["fc1.weight.min"]["value"], s["fc1.weight.mean"]["value"], s["fc1.weight.max"]["value"]))
    f = files(main)
    assert {"figures/losses/step-0.png", "figures/losses/step-1.png", "figures/losses/step-2.png",
            "images/four_digits/step-0.png"} <= set(f)
    assert "figure" in f["figures/losses/step-0.png"]["tags"]
    assert (main / "files" / "images" / "four_digits" / "step-0.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (text,) = [e for e in of_type(main, "log") if e["msg"] == "trained **3** epochs"]
    assert text["meta"] == {"source": "tensorboard", "tag": "notes", "step": 2}
    # add_hparams: the first trial is the run's own, the second a run nested in it
    assert params(main) == {"lr": 0.1, "bsize": 100}
    assert s["hparam/accuracy"]["value"] == [1.0]
    assert manifest(trial)["parent"] == main.name and params(trial) == {"lr": 0.01, "bsize": 100}
    assert series(trial)["hparam/accuracy"]["value"] == [pytest.approx(0.1)]
    assert tags(trial) == {"tensorboard.hparams": ""} and statuses(trial)[-1]["status"] == "completed"
    assert (tmp_path / "runs" / "digits_experiment_1").is_dir()  # the log dir exists, as TensorBoard makes it
    (standin,) = [n for n in notes(main, "info") if "torch.utils.tensorboard cannot import TensorBoard" in n]
    assert "No module named 'tensorboard'" in standin
    (graph,) = [n for n in notes(main, "warn") if "add_graph" in n]
    assert "not recorded" in graph and result.stderr.count("add_graph is not supported") == 1


def test_tensorboardx_names_are_recorded_by_the_stand_in(store: Path, tmp_path: Path) -> None:
    result = run_runner(copy_script("tensorboardx_train.py", tmp_path), store)
    assert result.returncode == 0, result.stderr
    assert "logdir runs/tbx" in result.stdout
    (run_dir,) = run_dirs(store)
    s = series(run_dir)
    assert s["data/scalar1"]["step"] == [0, 1, 2, 3, 4]
    assert s["data/scalar_group/xsinx"]["step"] == [0, 1, 2, 3, 4]
    assert s["hist.min"]["value"] == [0, 1, 2, 3, 4] and s["hist.max"]["value"] == [9, 10, 11, 12, 13]
    assert "text logged at step 4" in logs(run_dir)
    assert sum("tensorboardX is not installed" in n for n in notes(run_dir, "info")) == 1
    assert any("add_pr_curve" in n for n in notes(run_dir, "warn"))


def test_a_second_log_dir_prefixes_its_tags_and_a_closed_writer_keeps_recording(store: Path, tmp_path: Path) -> None:
    from tracker_helpers import write

    script = write(tmp_path / "two.py", """
        from tensorboardX import SummaryWriter
        train, val = SummaryWriter("runs/exp/train"), SummaryWriter("runs/exp/val")
        for step in range(2):
            train.add_scalar("loss", 1.0 - step / 10, step)
            val.add_scalar("loss", 2.0 - step / 10, step)
        train.close()
        train.add_scalar("late", 1.0)   # TensorBoard reopens a closed writer; so does the stand-in
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    s = series(run_dir)
    assert s["loss"]["value"] == [1.0, 0.9] and s["val/loss"]["value"] == [2.0, 1.9]
    assert s["late"]["step"] == [0]
