"""``python -m mlwb explain`` end to end: files in, explain.json out, errors, events and cancel."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from fake_extension import FakeExtension  # noqa: E402
from helpers import env_for, events  # noqa: E402


def explain_cmd(args: List[str], store: Path, cwd: Path, pipe: Optional[str] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    if pipe:
        env["MLWB_RPC_PIPE"] = pipe
    return subprocess.run([sys.executable, "-m", "mlwb", "explain", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def write_dataset(tmp: Path, loader, name: str = "data.csv") -> tuple:
    d = loader(as_frame=True)
    df = d.frame.rename(columns={"target": "label"})
    path = tmp / name
    df.to_csv(path, index=False)
    return d.data, d.target, path


def save(model, path: Path) -> Path:
    with open(path, "wb") as f:
        pickle.dump(model, f)
    return path


def test_cli_forest_end_to_end(tmp_path: Path, store: Path) -> None:
    X, y, csv_path = write_dataset(tmp_path, load_breast_cancer)
    model = RandomForestClassifier(30, random_state=0).fit(X, y)
    model_path = save(model, tmp_path / "rf.pkl")
    r = explain_cmd(["--model", str(model_path), "--data", str(csv_path), "--target", "label", "--rows", "120",
                     "--top", "3", "--ice", "10", "--grid", "8", "--out", "out"], store, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr and "shap" in r.stderr  # progress lines without a pipe
    res = json.loads((tmp_path / "out" / "explain.json").read_text())
    meta = res["metadata"]
    assert res["schema"] == "mlwb.explain/1"
    assert meta["method"] == "tree" and meta["algorithm"] == "treeshap-path-dependent"
    assert meta["task"] == "classification" and meta["classes"] == [0, 1] and meta["outputSpace"] == "probability"
    assert meta["featureNames"] == list(X.columns) and meta["rows"] == 120 and meta["dataRows"] == len(X)
    assert meta["localAccuracyMaxError"] < 1e-6 and meta["data"]["target"] == "label"
    rows = meta["rowIndices"]
    assert len(rows) == 120 and rows == sorted(rows)
    fv = np.array(res["shap"]["featureValues"])
    assert fv.shape == (120, 30)
    np.testing.assert_allclose(fv, X.to_numpy()[rows])
    outs = res["shap"]["outputs"]
    assert [o["name"] for o in outs] == ["P(0)", "P(1)"]
    proba = model.predict_proba(X.iloc[rows])
    for c, o in enumerate(outs):
        vals = np.array(o["values"])
        assert vals.shape == (120, 30) and len(o["meanAbs"]) == 30
        np.testing.assert_allclose(o["baseValue"] + vals.sum(axis=1), proba[:, c], atol=1e-6)
        np.testing.assert_allclose(o["prediction"], proba[:, c], atol=1e-9)
    imp = res["importance"]
    assert len(imp) == 30 and [e["meanAbsShap"] for e in imp] == sorted((e["meanAbsShap"] for e in imp), reverse=True)
    assert {"permutationMean", "permutationStd"} <= set(imp[0])
    perm = res["permutationImportance"]
    assert perm["scoring"] == "accuracy" and len(perm["mean"]) == 30 and perm["nRepeats"] == 5
    pdps = res["partialDependence"]
    assert [p["feature"] for p in pdps] == meta["topFeatures"] == [e["feature"] for e in imp[:3]]
    for p in pdps:
        assert len(p["grid"]) <= 8 and len(p["iceRows"]) == 10
        (o,) = p["outputs"]  # binary: the positive class probability
        assert o["name"] == "P(1)" and len(o["average"]) == len(p["grid"])
        assert np.array(o["individual"]).shape == (10, len(p["grid"]))


def test_cli_missing_columns_is_a_clear_error(tmp_path: Path, store: Path) -> None:
    X, y, _ = write_dataset(tmp_path, load_diabetes)
    model = RandomForestRegressor(5, random_state=0).fit(X, y)
    model_path = save(model, tmp_path / "rf.pkl")
    df = X.drop(columns=["bmi", "s1"]).assign(extra_col=1.0)
    df.to_csv(tmp_path / "bad.csv", index=False)
    r = explain_cmd(["--model", str(model_path), "--data", "bad.csv", "--out", "out"], store, tmp_path)
    assert r.returncode == 2, r.stderr
    assert "lacks 2 column(s)" in r.stderr and "bmi, s1" in r.stderr and "extra_col" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()
    r = explain_cmd(["--model", "nope.pkl", "--data", "bad.csv", "--out", "out"], store, tmp_path)
    assert r.returncode == 2 and "model file not found" in r.stderr
    r = explain_cmd(["--model", str(model_path), "--data", "bad.csv"], store, tmp_path)
    assert r.returncode == 2 and "--out" in r.stderr


def test_cli_pipelines(tmp_path: Path, store: Path) -> None:
    X, y, csv_path = write_dataset(tmp_path, load_iris)
    tree_pipe = make_pipeline(StandardScaler(), GradientBoostingClassifier(n_estimators=20, random_state=0)).fit(X, y)
    r = explain_cmd(["--model", str(save(tree_pipe, tmp_path / "gb.pkl")), "--data", "data.csv", "--target", "label",
                     "--top", "2", "--out", "gb"], store, tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "gb" / "explain.json").read_text())
    meta = res["metadata"]
    assert meta["method"] == "tree" and meta["outputSpace"] == "raw" and len(meta["outputNames"]) == 3
    assert meta["featureNames"] == list(X.columns)  # StandardScaler keeps the names
    assert meta["model"]["finalEstimator"].endswith("GradientBoostingClassifier")
    assert meta["localAccuracyMaxError"] < 1e-6
    kernel_pipe = make_pipeline(StandardScaler(), SVC(probability=True, random_state=0)).fit(X, y)
    r = explain_cmd(["--model", str(save(kernel_pipe, tmp_path / "svc.pkl")), "--data", "data.csv", "--target", "label",
                     "--rows", "5", "--background", "10", "--top", "1", "--out", "svc"], store, tmp_path)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "svc" / "explain.json").read_text())["metadata"]
    assert meta["method"] == "kernel" and meta["algorithm"] == "kernelshap-exact" and meta["background"] == 10
    assert meta["outputNames"] == ["P(0)", "P(1)", "P(2)"] and meta["localAccuracyMaxError"] < 1e-6
    assert any("KernelSHAP because" in n for n in meta["notes"])


def test_cli_xgboost_json_model(tmp_path: Path, store: Path) -> None:
    xgboost = pytest.importorskip("xgboost")
    X, y, csv_path = write_dataset(tmp_path, load_breast_cancer)
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1).fit(X, y)
    model.save_model(tmp_path / "model.json")
    r = explain_cmd(["--model", "model.json", "--data", "data.csv", "--target", "label", "--rows", "50",
                     "--top", "2", "--out", "out"], store, tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "out" / "explain.json").read_text())
    meta = res["metadata"]
    assert meta["method"] == "tree" and meta["outputSpace"] == "margin" and meta["model"]["objective"] == "binary:logistic"
    assert meta["localAccuracyMaxError"] < 1e-5  # against XGBoost's own float32 margin
    assert res["permutationImportance"]["scoring"] == "accuracy" and len(res["partialDependence"]) == 2


def _start(args: List[str], store: Path, cwd: Path, ext: FakeExtension) -> subprocess.Popen:
    env = env_for(store)
    env["MLWB_RPC_PIPE"] = ext.path
    return subprocess.Popen([sys.executable, "-m", "mlwb", "explain", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(sys.platform == "win32", reason="the fake extension uses a Unix socket")
def test_cli_events_to_the_extension(tmp_path: Path, store: Path) -> None:
    X, y, csv_path = write_dataset(tmp_path, load_iris)
    save(RandomForestClassifier(10, random_state=0).fit(X, y), tmp_path / "rf.pkl")
    ext = FakeExtension()
    try:
        proc = _start(["--model", "rf.pkl", "--data", "data.csv", "--target", "label", "--out", "out"], store, tmp_path, ext)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ext.closed.wait(5)
        methods = ext.methods()
        assert methods[0] == "runner/handshake" and methods[-1] == "run/finished"
        evs = [m["params"]["event"] for m in ext.messages if m.get("method") == "run/event"]
        kinds = [e["kind"] for e in evs]
        assert kinds[-2:] == ["explainResult", "explainComplete"] and set(kinds[:-2]) == {"explainProgress"}
        stages = {e["stage"] for e in evs if e["kind"] == "explainProgress"}
        assert {"load", "shap", "permutation", "partialDependence"} <= stages
        data = evs[-2]["data"]
        assert data["path"] == str(tmp_path / "out" / "explain.json") and data["method"] == "tree"
        assert data["topFeatures"][0]["feature"] in list(X.columns)
        fin = ext.messages[-1]["params"]
        assert fin["status"] == "completed" and fin["exitCode"] == 0
    finally:
        ext.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the fake extension uses a Unix socket")
def test_cli_cancel_from_the_extension(tmp_path: Path, store: Path) -> None:
    X, y, csv_path = write_dataset(tmp_path, load_breast_cancer)
    save(RandomForestClassifier(40, random_state=0).fit(X, y), tmp_path / "rf.pkl")
    ext = FakeExtension()
    try:  # KernelSHAP with 30 features and 50 background rows: seconds per row, 200 rows
        proc = _start(["--model", "rf.pkl", "--data", "data.csv", "--method", "kernel", "--rows", "200",
                       "--background", "50", "--out", "out"], store, tmp_path, ext)
        ext.wait_for(lambda m: m.get("method") == "run/event" and m["params"]["event"].get("stage") == "shap"
                     and m["params"]["event"]["current"] >= 1, timeout=90)
        rid = ext.request("run/cancel", {"reason": "test"})
        assert ext.wait_reply(rid)["result"] == {"accepted": True}
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "cancelled" in err and "Traceback" not in err
        ext.closed.wait(5)
        fin = ext.messages[-1]
        assert fin["method"] == "run/finished" and fin["params"]["status"] == "cancelled" and fin["params"]["exitCode"] == 130
        assert not (tmp_path / "out" / "explain.json").exists()
    finally:
        ext.close()


def test_cli_stores_with_an_ended_run(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlwb import Experiment

    monkeypatch.setenv("MLWB_STORE", str(store))
    X, y, csv_path = write_dataset(tmp_path, load_iris)
    save(RandomForestClassifier(5, random_state=0).fit(X, y), tmp_path / "rf.pkl")
    exp = Experiment("train").start()
    running_id = exp.id
    exp.flush()
    r = explain_cmd(["--model", "rf.pkl", "--data", "data.csv", "--run", running_id], store, tmp_path)
    assert r.returncode == 2 and "has not ended (status running)" in r.stderr
    exp.complete()
    for _ in range(2):  # twice: the second saves a new version of the same file (same id)
        r = explain_cmd(["--model", "rf.pkl", "--data", "data.csv", "--target", "label", "--run", running_id], store, tmp_path)
        assert r.returncode == 0, r.stderr
    run_dir = store / "runs" / running_id
    saved = run_dir / "files" / "explain" / "explain.json"
    assert json.loads(saved.read_text())["metadata"]["run"] == running_id
    recs = [e for e in events(run_dir) if e["t"] == "file"]
    assert len(recs) == 2 and recs[0]["id"] == recs[1]["id"] and recs[1]["path"] == "explain/explain.json"
    import hashlib

    assert recs[1]["sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest() and recs[1]["size"] == saved.stat().st_size
    r = explain_cmd(["--model", "rf.pkl", "--data", "data.csv", "--run", "nope"], store, tmp_path)
    assert r.returncode == 2 and "no run 'nope'" in r.stderr


def test_api_under_the_runner_saves_run_files(tmp_path: Path, store: Path) -> None:
    from helpers import run_dirs, run_runner

    script = tmp_path / "explain_me.py"
    script.write_text(
        "from sklearn.datasets import load_iris\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "from mlwb.explain import explain, save_explanation\n"
        "X, y = load_iris(return_X_y=True)\n"
        "res = explain(DecisionTreeClassifier(random_state=0).fit(X, y), X, y, top=1)\n"
        "print(save_explanation(res)['path'], res['metadata']['localAccuracyMaxError'] < 1e-6)\n")
    r = run_runner(script, store, opts=["--no-autolog"])
    assert r.returncode == 0, r.stderr
    assert "explain/explain.json True" in r.stdout
    (run_dir,) = run_dirs(store)
    assert (run_dir / "files" / "explain" / "explain.json").is_file()


def test_cli_without_sklearn_says_so(tmp_path: Path, store: Path) -> None:
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from mlwb.__main__ import main\n"
            "sys.exit(main(['explain', '--model', 'm.pkl', '--data', 'd.csv', '--out', 'o']))\n")
    r = subprocess.run([sys.executable, "-c", code], env=env_for(store), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "needs numpy and scikit-learn" in r.stderr and "Traceback" not in r.stderr
