"""``python -m mlwb smoke``: the real server on loopback, one-row requests from a CSV, latencies and errors."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

from evaluate_helpers import lines, mlwb, save  # noqa: E402


@pytest.fixture
def forest(tmp_path: Path):
    d = load_breast_cancer(as_frame=True)
    path = save(RandomForestClassifier(10, random_state=0).fit(d.data, d.target), tmp_path / "rf.pkl")
    return d, path


def test_smoke_counts_requests_latencies_and_errors(tmp_path: Path, forest) -> None:
    d, path = forest
    # an id column the model does not take, the label, and the columns in another order: all fine
    rows = d.data.iloc[:4][list(reversed(d.data.columns))].assign(id=[1, 2, 3, 4], label=d.target.iloc[:4])
    rows.to_csv(tmp_path / "good.csv", index=False)
    agreed = hashlib.sha256(path.read_bytes()).hexdigest()
    r = mlwb(["smoke", "--model", "rf.pkl", "--model-sha256", agreed, "--data", "good.csv", "--target", "label",
              "--requests", "40"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)[-1]
    assert out["format"] == 1 and out["requests"] == 40 and out["errors"] == 0 and out["error_samples"] == []
    assert 0 < out["p50_ms"] <= out["p95_ms"] <= out["max_ms"]
    assert out["columns"] == list(d.data.columns)  # the model's order, from the server's /metadata
    # two rows of four cannot be predicted (text in a number column): half the requests fail, each counted
    bad = rows.astype(object)
    bad.iloc[1, 0] = "n/a"
    bad.iloc[3, 0] = "n/a"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    r = mlwb(["smoke", "--model", "rf.pkl", "--data", "bad.csv", "--target", "label", "--requests", "20"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)[-1]
    assert out["requests"] == 20 and out["errors"] == 10
    assert out["error_samples"][0].startswith("request 2: HTTP 422") and len(out["error_samples"]) == 5


def test_smoke_fails_clearly(tmp_path: Path, forest) -> None:
    d, path = forest
    d.data.iloc[:3].to_csv(tmp_path / "data.csv", index=False)
    r = mlwb(["smoke", "--model", "rf.pkl", "--model-sha256", "2" * 64, "--data", "data.csv"], tmp_path)
    assert r.returncode == 1 and "the server did not start" in r.stderr and "not the " + "2" * 64 in r.stderr
    assert lines(r.stdout)[-1]["exitCode"] == 1
    d.data.iloc[:3, :5].to_csv(tmp_path / "few.csv", index=False)
    r = mlwb(["smoke", "--model", "rf.pkl", "--data", "few.csv"], tmp_path)
    assert r.returncode == 2 and "the CSV lacks column(s) the model takes: mean compactness, mean concavity" in r.stderr
    r = mlwb(["smoke", "--model", "rf.pkl", "--data", "data.csv", "--target", "label"], tmp_path)
    assert r.returncode == 2 and "target column 'label' is not in the CSV" in r.stderr
    assert json.loads(r.stdout)["error"].startswith("target column")
