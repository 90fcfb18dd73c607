"""Model specs: checked, trained for real on scikit-learn's digits, cancelled, used for inference."""
from __future__ import annotations

import copy
import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import env_for, events, first_run_when, manifest, of_type, run_dirs, run_runner, series, statuses

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from mlwb import _modelspec  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "specs" / "digits-cnn.mlwb-model.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text())


def write_spec(tmp_path: Path, spec: dict, name: str = "net.mlwb-model.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(spec, indent=2))
    return p


def test_example_shapes_and_parameters_match_the_editor() -> None:
    rows = _modelspec.check(example())
    assert [r["output"] for r in rows][:7] == [[16, 8, 8], [16, 8, 8], [16, 4, 4], [32, 4, 4], [32, 4, 4], [32, 2, 2], [128]]
    assert rows[-1]["output"] == [10]
    # conv 1→16 3×3: 160, conv 16→32: 4640, linear 128→64: 8256, linear 64→10: 650 (test/unit/modelspec.test.ts agrees)
    assert sum(r["params"] for r in rows) == 160 + 4640 + 8256 + 650
    model, final_softmax = _modelspec.build(example())
    assert final_softmax and sum(p.numel() for p in model.parameters()) == 13706


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s["architecture"]["layers"][7].update({"in": 3136}), "layers[7] (linear): \"in\" is 3136 but its input has 128 features"),
    (lambda s: s["architecture"]["layers"].__setitem__(0, {"type": "conv3d"}), "layers[0]: unknown layer type 'conv3d'"),
    (lambda s: s["architecture"]["layers"].pop(6), "layers[6] (linear): needs a flat input but gets 32×2×2"),
    (lambda s: s["architecture"]["layers"][3].update({"in_channels": 8}), "layers[3] (conv2d): in_channels is 8 but its input has 16 channels"),
    (lambda s: s["architecture"].update({"input_height": 28, "input_width": 28, "input_size": 784}), "digits inputs are 1×8×8, not 1×28×28"),
])
def test_check_names_the_offending_layer(mutate, message: str) -> None:
    spec = example()
    mutate(spec)
    with pytest.raises(_modelspec.SpecError) as e:
        _modelspec.check(spec)
    assert message in str(e.value)


def test_bad_spec_exits_2_with_a_clear_error_and_no_run(store: Path, tmp_path: Path) -> None:
    spec = example()
    spec["architecture"]["layers"][7]["in"] = 3136
    result = run_runner(write_spec(tmp_path, spec), store)
    assert result.returncode == 2
    assert "net.mlwb-model.json: layers[7] (linear): \"in\" is 3136 but its input has 128 features" in result.stderr
    assert run_dirs(store) == []
    bad = copy.deepcopy(example())
    bad["hyperparams"]["train_split"] = 1.5
    result = run_runner(write_spec(tmp_path, bad), store)
    assert (result.returncode, "train_split must be between 0 and 1" in result.stderr) == (2, True)
    (tmp_path / "broken.mlwb-model.json").write_text('{"architecture": ')
    result = run_runner(tmp_path / "broken.mlwb-model.json", store)
    assert result.returncode == 2 and "not valid JSON" in result.stderr


def test_trains_the_seed_cnn_on_digits_to_a_sane_accuracy(store: Path, tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path, example(), "digits-cnn.mlwb-model.json")
    result = run_runner(spec_path, store, ["--epochs", "6"])
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    m = manifest(run_dir)
    assert m["experiment"]["id"] == "digits-cnn" and m["script"]["path"] == str(spec_path)
    assert statuses(run_dir)[-1]["status"] == "completed"
    s = series(run_dir)
    assert set(s) >= {"train/loss", "train/accuracy", "eval/loss", "eval/accuracy"}
    assert s["eval/accuracy"]["step"] == [1, 2, 3, 4, 5, 6]
    assert s["eval/accuracy"]["value"][-1] > 0.8, s["eval/accuracy"]
    assert s["train/loss"]["value"][-1] < s["train/loss"]["value"][0]
    params = {k: v for rec in of_type(run_dir, "params") for k, v in rec["values"].items()}
    assert (params["epochs"], params["optimizer"], params["parameters"], params["eval_samples"]) == (6, "adam", 13706, 360)
    files = {f["path"] for f in of_type(run_dir, "file")}
    assert {"model/weights.pt", "model/digits-cnn.mlwb-model.json"} <= files
    weights = run_dir / "files" / "model" / "weights.pt"

    # Inference from the weights alone (the checkpoint carries the spec), through the CLI.
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = [int(v) for v in digits.data[0]]
    out = subprocess.run([sys.executable, "-m", "mlwb", "infer", "--weights", str(weights), "--input", json.dumps(pixels)],
                         env=env_for(store), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["label"] == "0" and len(answer["probabilities"]) == 10
    assert abs(sum(answer["probabilities"]) - 1) < 1e-3
    many = _modelspec.infer(str(weights), [list(digits.data[i]) for i in range(40)])
    hits = sum(p["label"] == str(digits.target[i]) for i, p in enumerate(many["predictions"]))
    assert hits >= 32

    # Served like any registered model: MLflow's /invocations answers with the same labels.
    from serve_helpers import Served

    served = Served(weights)
    try:
        assert served.ready["format"] == "torch" and served.ready["nFeatures"] == 64
        rows = [[float(v) for v in digits.data[i]] for i in range(40)]
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        conn.request("POST", "/invocations", json.dumps({"instances": rows}), {"Content-Type": "application/json"})
        reply = conn.getresponse()
        assert reply.status == 200
        assert json.loads(reply.read())["predictions"] == [p["label"] for p in many["predictions"]]
        conn.request("POST", "/invocations?proba=1", json.dumps({"instances": rows[:1]}), {"Content-Type": "application/json"})
        probs = json.loads(conn.getresponse().read())["predictions"][0]
        assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-4
        conn.close()
    finally:
        served.stop()


def test_cancel_mid_training_ends_cancelled(store: Path, tmp_path: Path) -> None:
    spec = example()
    spec["hyperparams"].update({"epochs": 200, "batch_size": 4})
    spec_path = write_spec(tmp_path, spec)
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    proc = subprocess.Popen([sys.executable, "-m", "mlwb", "run", str(spec_path)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The first epoch's metrics: training is under way.
        first_run_when(store, lambda d: "eval/accuracy" in series(d, while_written=True), "an epoch's eval/accuracy")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    (run_dir,) = run_dirs(store)
    assert statuses(run_dir)[-1]["status"] == "cancelled"
    assert len(series(run_dir)["eval/accuracy"]["step"]) < 200
    assert not any(f["path"] == "model/weights.pt" for f in of_type(run_dir, "file"))


def test_overrides_and_unknown_options(store: Path, tmp_path: Path) -> None:
    assert _modelspec.parse_overrides(["--epochs", "2", "--lr=0.01", "--max-samples", "300"]) == {"epochs": 2, "lr": 0.01, "max_samples": 300}
    hp = _modelspec.hyperparams(example(), {"lr": 0.01})
    assert hp["optimizer"] == {"type": "adam", "lr": 0.01}
    result = run_runner(write_spec(tmp_path, example()), store, ["--momentum", "0.9"])
    assert result.returncode == 2 and "unknown option '--momentum'" in result.stderr


def test_csv_dataset_mlp(store: Path, tmp_path: Path) -> None:
    rows = ["a,b,label"] + [f"{i % 7},{(i * 3) % 5},{'yes' if i % 7 > 3 else 'no'}" for i in range(60)]
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    spec = {"dataset": {"type": "csv", "path": "data.csv", "label": "label"},
            "architecture": {"input_size": 2, "layers": [{"type": "linear", "in": 2, "out": 8}, {"type": "relu"}, {"type": "linear", "out": 2}]},
            "hyperparams": {"epochs": 2, "batch_size": 8, "optimizer": "sgd"}}
    result = run_runner(write_spec(tmp_path, spec), store)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    assert len(series(run_dir)["eval/accuracy"]["value"]) == 2
    weights = run_dir / "files" / "model" / "weights.pt"
    assert _modelspec.infer(str(weights), [6, 1])["classes"] == ["no", "yes"]
