"""Model signatures: inferred from a CSV (``python -m mlwb signature``) and from the X of autolog's final fit,
and enforced by the real server (HTTP 422 listing each problem per column, extra columns ignored and shown
in /metadata) and by ``predict``; ``--threshold`` for binary classifiers; ``--model-sha256`` for both."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression, LinearRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from evaluate_helpers import lines, mlwb, save  # noqa: E402
from helpers import env_for, run_dirs, run_runner  # noqa: E402
from serve_helpers import Served  # noqa: E402


def mixed_frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "income": np.where(np.arange(n) % 7 == 0, np.nan, rng.normal(50, 10, n)),
        "color": rng.choice(["red", "green", "blue"], n),
        "member": rng.random(n) > 0.5,
        "joined": [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)],
        "note": [f"free text {i}" for i in range(n)],
    })


def test_signature_of_a_csv(tmp_path: Path) -> None:
    df = mixed_frame().assign(label=lambda d: d.age > 50)
    df.to_csv(tmp_path / "data.csv", index=False)
    r = mlwb(["signature", "--data", "data.csv", "--target", "label"], tmp_path)
    assert r.returncode == 0, r.stderr
    sig = json.loads(r.stdout)
    assert sig == {"format": 1, "source": "evaluation data", "columns": [
        {"name": "age", "type": "integer", "nullable": False},
        {"name": "income", "type": "float", "nullable": True},
        {"name": "color", "type": "category", "categories": ["blue", "green", "red"], "nullable": False},
        {"name": "member", "type": "boolean", "nullable": False},
        {"name": "joined", "type": "datetime", "nullable": False},
        {"name": "note", "type": "string", "nullable": False},
    ]}
    r = mlwb(["signature", "--data", "data.csv", "--source", "training"], tmp_path)
    assert json.loads(r.stdout)["source"] == "training data" and json.loads(r.stdout)["columns"][-1]["name"] == "label"
    r = mlwb(["signature", "--data", "data.csv", "--target", "nope"], tmp_path)
    assert r.returncode == 2 and "target column 'nope' is not in the CSV" in r.stderr
    r = mlwb(["signature", "--data", "missing.csv"], tmp_path)
    assert r.returncode == 2 and "data file not found" in r.stderr


def test_autolog_records_the_signature_of_the_final_fit(tmp_path: Path, store: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np, pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X = pd.DataFrame({'a': [1, 2, 3, 4], 'b': [0.5, 1.5, None, 2.0], 'c': pd.Categorical(['x', 'y', 'x', 'y'])})\n"
        "LogisticRegression().fit(np.array([[0.0, 1.0], [1.0, 0.0]]), [0, 1])\n"
        # Each the first fit of its class: a later fit's inputs are recorded only while autolog's overhead
        # budget (timed) allows, which a loaded machine can exhaust.
        "from sklearn.linear_model import RidgeClassifier\n"
        "RidgeClassifier().fit(X[['a', 'b']].fillna(0), [0, 1, 0, 1])\n"
        "import sklearn.dummy\n"
        "sklearn.dummy.DummyClassifier().fit(X, [0, 1, 0, 1])\n")
    r = run_runner(script, store)
    assert r.returncode == 0, r.stderr
    run_dir = run_dirs(store)[0]
    sig = json.loads((run_dir / "files" / "autolog" / "signature.json").read_text())
    assert sig == {"format": 1, "source": "training data", "columns": [
        {"name": "a", "type": "integer", "nullable": False},
        {"name": "b", "type": "float", "nullable": True},
        {"name": "c", "type": "category", "categories": ["x", "y"], "nullable": False}]}
    records = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    saves = [e for e in records if e.get("t") == "file" and e["path"] == "autolog/signature.json"]
    assert len(saves) == 3 and len({e["id"] for e in saves}) == 1  # one file, a version per distinct input
    script.write_text("from sklearn.linear_model import LinearRegression\nimport numpy as np\n"
                      "LinearRegression().fit(np.arange(6.0).reshape(3, 2), [1, 2, 3])\n")
    r = run_runner(script, store)
    newest = max(run_dirs(store), key=lambda d: (d / "events.jsonl").stat().st_mtime)
    sig = json.loads((newest / "files" / "autolog" / "signature.json").read_text())
    assert [c["name"] for c in sig["columns"]] == ["f0", "f1"] and {c["type"] for c in sig["columns"]} == {"float"}


@pytest.fixture
def mixed_model(tmp_path: Path):
    df = mixed_frame()
    X = df[["age", "income", "color"]].fillna(0)
    y = (df.age > 50).astype(int)
    model = make_pipeline(make_column_transformer((OneHotEncoder(), ["color"]), remainder=StandardScaler()),
                          LogisticRegression()).fit(X, y)
    path = save(model, tmp_path / "model.pkl")
    sig = {"format": 1, "source": "training data", "columns": [
        {"name": "age", "type": "integer", "nullable": False},
        {"name": "income", "type": "float", "nullable": True},
        {"name": "color", "type": "category", "categories": ["blue", "green", "red"], "nullable": False}]}
    (tmp_path / "signature.json").write_text(json.dumps(sig))
    return model, path, tmp_path / "signature.json", sig


def test_the_server_enforces_the_signature(tmp_path: Path, mixed_model) -> None:
    model, path, sig_path, sig = mixed_model
    srv = Served(path, "--signature", str(sig_path))
    try:
        rows = [{"color": "red", "age": 30, "income": 40.5, "id": 1}, {"age": 70, "income": 3, "color": "blue", "id": 2}]
        status, body = srv.json("POST", "/invocations", {"dataframe_records": rows})
        assert status == 200, body
        assert body["predictions"] == model.predict(pd.DataFrame(rows)[["age", "income", "color"]]).tolist()
        # income null: nullable in the signature, so it passes the check; this model then refuses NaN itself
        status, body = srv.json("POST", "/invocations", {"dataframe_records": [{**rows[0], "income": None}]})
        assert status == 422 and "problems" not in body and "NaN" in body["message"]
        status, meta = srv.json("GET", "/metadata")
        assert meta["signature"] == sig and meta["ignored_columns"] == ["id"]
        # every problem, column by column, in one answer
        bad = {"dataframe_split": {"columns": ["age", "color", "extra"], "data": [[31.5, "red", 0], ["x", 3, 0]]}}
        status, body = srv.json("POST", "/invocations", bad)
        assert status == 422
        assert body["problems"] == [
            {"column": "age", "problem": "expected integer: row 1: 31.5 is not an integer (2 rows)"},
            {"column": "income", "problem": "missing"},
            {"column": "color", "problem": "expected category: row 2: 3 where text was expected"},
        ]
        assert body["error"].startswith("the input does not match the model's signature (3 problem(s))")
        assert body["error_code"] == "INVALID_PARAMETER_VALUE"
        status, body = srv.json("POST", "/invocations", {"instances": [{"age": None, "income": 1.0, "color": "red"}]})
        assert status == 422 and body["problems"] == [
            {"column": "age", "problem": "null in row 1 (1 rows), and the column is not nullable"}]
        # text/csv: cells are text, so numbers spelled as text are numbers
        status, hdrs, data = srv.request("POST", "/invocations", "note,color,income,age\nhi,green,55.0,44\n",
                                         {"Content-Type": "text/csv"})
        assert status == 200, data
        assert json.loads(data)["predictions"] == [int(model.predict(pd.DataFrame(
            {"age": [44], "income": [55.0], "color": ["green"]}))[0])]
        status, hdrs, data = srv.request("POST", "/invocations", "color,age\ngreen,forty\n", {"Content-Type": "text/csv"})
        assert status == 422 and json.loads(data)["problems"] == [
            {"column": "age", "problem": "expected integer: row 1: 'forty' is not a number"},
            {"column": "income", "problem": "missing"}]
        status, meta = srv.json("GET", "/metadata")
        assert meta["ignored_columns"] == ["id", "note"]  # from the requests that passed
        # positional rows follow the signature's order
        status, body = srv.json("POST", "/invocations", {"inputs": [[30, 1.5, "red"]]})
        assert status == 200, body
    finally:
        srv.stop()


def test_predict_on_file_enforces_the_signature(tmp_path: Path, mixed_model) -> None:
    model, path, sig_path, _ = mixed_model
    good = pd.DataFrame({"id": [1, 2], "color": ["red", "blue"], "age": [20, 80], "income": [1.0, 2.0]})
    good.to_csv(tmp_path / "good.csv", index=False)
    r = mlwb(["predict", "--model", str(path), "--input", "good.csv", "--signature", str(sig_path)], tmp_path)
    assert r.returncode == 0, r.stderr
    done = lines(r.stdout)[-1]
    assert done["event"] == "done" and done["ignoredColumns"] == ["id"]
    with open(tmp_path / "good.predictions.csv", newline="") as f:
        assert [int(row["prediction"]) for row in csv.DictReader(f)] == model.predict(good[["age", "income", "color"]]).tolist()
    pd.DataFrame({"color": ["red", "pink"], "age": ["old", 3]}).to_csv(tmp_path / "bad.csv", index=False)
    r = mlwb(["predict", "--model", str(path), "--input", "bad.csv", "--signature", str(sig_path)], tmp_path)
    assert r.returncode != 0
    err = lines(r.stdout)[-1]
    assert err["event"] == "error" and err["problems"] == [
        {"column": "age", "problem": "expected integer: row 1: 'old' is not a number"},
        {"column": "income", "problem": "missing"}]
    assert "age: expected integer: row 1: 'old' is not a number" in r.stderr and "income: missing" in r.stderr
    assert not (tmp_path / "bad.predictions.csv").exists()


def test_threshold_and_model_sha256(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    path = save(model, tmp_path / "lr.pkl")
    agreed = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = X.iloc[:80]
    expected = (model.predict_proba(rows)[:, 1] >= 0.995).astype(int).tolist()
    assert expected != model.predict(rows).tolist()  # the threshold changes some answers
    srv = Served(path, "--threshold", "0.995", "--model-sha256", agreed)
    try:
        status, body = srv.json("POST", "/invocations", {"dataframe_split": {"columns": list(X.columns), "data": rows.values.tolist()}})
        assert status == 200 and body["predictions"] == expected
        assert srv.json("GET", "/metadata")[1]["threshold"] == 0.995
    finally:
        srv.stop()
    rows.to_csv(tmp_path / "rows.csv", index=False)
    r = mlwb(["predict", "--model", "lr.pkl", "--input", "rows.csv", "--threshold", "0.995"], tmp_path)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "rows.predictions.csv", newline="") as f:
        assert [int(row["prediction"]) for row in csv.DictReader(f)] == expected
    save(LinearRegression().fit(X, y), tmp_path / "reg.pkl")
    r = mlwb(["predict", "--model", "reg.pkl", "--input", "rows.csv", "--threshold", "0.5"], tmp_path)
    assert r.returncode == 1 and "a threshold needs a binary classifier" in r.stderr
    import subprocess
    import sys

    from evaluate_helpers import env

    r = subprocess.run([sys.executable, "-m", "mlwb", "serve", "--model", str(path), "--model-sha256", "1" * 64],
                       env=env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and f"its sha256 is {agreed}, not the {'1' * 64}" in r.stderr
    assert lines(r.stdout)[-1]["event"] == "error"
