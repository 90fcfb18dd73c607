"""Guarantee: a model file that runs code when loaded (pickle, joblib, torch) is loaded only as the bytes the user
agreed to (``--model-sha256`` / ``--sha256``), from those very bytes (never re-read after the check); spec
checkpoints load with ``torch.load(weights_only=True)``, and an older one (a full unpickle) only with the hash."""
from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import env_for, run_dirs, run_runner

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from mlwb import _modelfile  # noqa: E402
from mlwb._model import Model, ModelLoadError  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "specs" / "digits-cnn.mlwb-model.json"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def two_trees(tmp_path: Path):
    d = load_iris(as_frame=True)
    first = DecisionTreeClassifier(max_depth=1).fit(d.data, d.target)
    second = DecisionTreeClassifier(max_depth=3).fit(d.data, d.target)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(first))
    data = tmp_path / "data.csv"
    d.frame.to_csv(data, index=False)
    return path, pickle.dumps(second), data


def test_a_file_swapped_after_consent_is_refused_by_serve_predict_and_explain(tmp_path: Path) -> None:
    path, other, data = two_trees(tmp_path)
    agreed = sha(path)
    assert Model(str(path), sha256=agreed).n_features == 4  # the agreed bytes load
    path.write_bytes(other)  # swapped after the question
    with pytest.raises(ModelLoadError, match=f"its sha256 is {sha(path)}, not the {agreed} that was agreed to"):
        Model(str(path), sha256=agreed)
    store = tmp_path / "store"
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    r = subprocess.run([sys.executable, "-m", "mlwb", "explain", "--model", str(path), "--model-sha256", agreed,
                        "--data", str(data), "--target", "target", "--out", str(tmp_path / "out")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert f"not the {agreed} that was agreed to" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()
    r = subprocess.run([sys.executable, "-m", "mlwb", "predict", "--model", str(path), "--model-sha256", agreed,
                        "--input", str(data), "--output", str(tmp_path / "p.csv")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and f"not the {agreed} that was agreed to" in r.stderr, r.stderr
    assert not (tmp_path / "p.csv").exists()
    # The hash of what is there now is what the user would have to agree to: then it loads.
    r = subprocess.run([sys.executable, "-m", "mlwb", "explain", "--model", str(path), "--model-sha256", sha(path),
                        "--data", str(data), "--target", "target", "--rows", "20", "--out", str(tmp_path / "out")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with pytest.raises(ModelLoadError, match="is not a sha256"):
        Model(str(path), sha256="abc")


def _checkpoint(tmp_path: Path) -> Path:
    """model/weights.pt of a real (one-epoch) training run of the example spec."""
    spec = json.loads(EXAMPLE.read_text())
    spec["hyperparams"].update(epochs=1, max_samples=300)
    spec_path = tmp_path / "digits.mlwb-model.json"
    spec_path.write_text(json.dumps(spec))
    store = tmp_path / "store"
    r = run_runner(spec_path, store)
    assert r.returncode == 0, r.stderr
    (run_dir,) = run_dirs(store)
    return run_dir / "files" / "model" / "weights.pt"


def test_spec_checkpoints_load_weights_only_and_older_ones_only_with_the_hash(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from mlwb import _modelspec

    weights = _checkpoint(tmp_path)
    ck = torch.load(weights, map_location="cpu", weights_only=True)  # no code can run reading it
    assert ck["format"] == "mlwb-model-spec/2" and isinstance(ck["spec_json"], str)
    assert json.loads(ck["metrics_json"])["eval/accuracy"] >= 0
    pixels = [0.0] * 64
    assert len(_modelspec.infer(str(weights), pixels)["probabilities"]) == 10
    assert Model(str(weights)).n_features == 64

    # An older checkpoint (spec and metrics as Python objects: floats the weights_only unpickler refuses).
    old = tmp_path / "old.pt"
    torch.save({"format": "mlwb-model-spec/1", "spec": json.loads(ck["spec_json"]), "state_dict": ck["state_dict"],
                "classes": ck["classes"], "final_softmax": ck["final_softmax"],
                "metrics": json.loads(ck["metrics_json"])}, old)
    with pytest.raises(_modelspec.CheckpointError, match="needs a full unpickle"):
        _modelspec.infer(str(old), pixels)
    with pytest.raises(ModelLoadError, match="needs a full unpickle"):
        Model(str(old))
    assert len(_modelspec.infer(str(old), pixels, sha256=sha(old))["probabilities"]) == 10
    assert Model(str(old), sha256=sha(old)).n_features == 64
    with pytest.raises(_modelspec.CheckpointError, match="that was agreed to"):
        _modelspec.infer(str(old), pixels, sha256=sha(weights))

    env = env_for(tmp_path / "store")
    base = [sys.executable, "-m", "mlwb", "infer", "--weights", str(old), "--input", json.dumps(pixels)]
    r = subprocess.run(base, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "needs a full unpickle" in r.stderr, r.stderr
    r = subprocess.run([*base, "--sha256", sha(old)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and len(json.loads(r.stdout)["probabilities"]) == 10, r.stderr
    r = subprocess.run([*base, "--sha256", sha(weights)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "that was agreed to" in r.stderr, r.stderr


def test_a_checkpoint_is_loaded_from_the_checked_bytes_not_re_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    weights = _checkpoint(tmp_path)
    agreed = sha(weights)
    real = _modelfile.read_checked

    def check_then_swap(path: str, sha256: str) -> bytes:
        data = real(path, sha256)
        torch.save({"w": torch.zeros(1)}, path)  # the file changes right after the check
        return data

    monkeypatch.setattr(_modelfile, "read_checked", check_then_swap)
    model = Model(str(weights), sha256=agreed)  # still the checked bytes: the trained network
    assert model.n_features == 64 and len(model.classes) == 10
    assert sha(weights) != agreed
