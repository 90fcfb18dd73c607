"""``python -m mlwb evaluate``: every number of evaluation.json equals scikit-learn's own function on the
same rows (each assertion names the function), on sklearn's datasets, pipelines and XGBoost; bad input,
the sha256 consent, cancel and runs."""
from __future__ import annotations

import csv
import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from sklearn import metrics as skm  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler, label_binarize  # noqa: E402

from evaluate_helpers import BlockingClassifier, env, lines, mlwb, save, split_dataset, until  # noqa: E402

approx = lambda v: pytest.approx(v, rel=1e-12, abs=1e-12)  # noqa: E731


def evaluate(tmp: Path, model: str, data: Path, *extra: str) -> dict:
    r = mlwb(["evaluate", "--model", model, "--data", str(data), "--target", "label", "--out", "out", *extra], tmp)
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    assert out[-2] == {"kind": "evaluateResult", "path": str(tmp / "out" / "evaluation.json")}
    assert out[-1]["kind"] == "evaluateComplete"
    assert any(o["kind"] == "evaluateProgress" and o["stage"] == "predict" for o in out)
    return json.loads((tmp / "out" / "evaluation.json").read_text())


def predictions(tmp: Path) -> list:
    with open(tmp / "out" / "predictions.csv", newline="") as f:
        return list(csv.DictReader(f))


def check_classification(ev: dict, y: np.ndarray, model) -> None:
    """``y``: the true labels; the model's own predict/predict_proba give the predictions."""
    classes = list(model.classes_)
    pred = model.predict(X_of(model))
    proba = model.predict_proba(X_of(model)).astype(np.float64)  # evaluate works in float64 (XGBoost gives float32)
    m = ev["metrics"]
    assert m["accuracy"] == approx(skm.accuracy_score(y, pred))
    assert m["balanced_accuracy"] == approx(skm.balanced_accuracy_score(y, pred))
    for avg in ("macro", "weighted"):
        assert m[f"precision_{avg}"] == approx(skm.precision_score(y, pred, average=avg, zero_division=0))
        assert m[f"recall_{avg}"] == approx(skm.recall_score(y, pred, average=avg, zero_division=0))
        assert m[f"f1_{avg}"] == approx(skm.f1_score(y, pred, average=avg, zero_division=0))
    assert m["log_loss"] == approx(skm.log_loss(y, proba, labels=classes))
    Y = label_binarize(y, classes=classes)
    if len(classes) == 2:
        assert m["brier"] == approx(skm.brier_score_loss(y, proba[:, 1], pos_label=classes[1]))
        assert m["roc_auc_macro"] == approx(skm.roc_auc_score(y, proba[:, 1]))
        assert m["average_precision_macro"] == approx(skm.average_precision_score(y, proba[:, 1], pos_label=classes[1]))
        Y = np.column_stack([1 - Y[:, 0], Y[:, 0]])
        assert m["roc_auc_micro"] == approx(skm.roc_auc_score(Y, proba, average="micro"))
        assert m["average_precision_micro"] == approx(skm.average_precision_score(Y, proba, average="micro"))
    else:
        assert m["brier"] == approx(np.mean([skm.brier_score_loss(Y[:, j], proba[:, j]) for j in range(len(classes))]))
        assert m["roc_auc_macro"] == approx(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
        assert m["roc_auc_micro"] == approx(skm.roc_auc_score(y, proba, multi_class="ovr", average="micro"))
        assert m["average_precision_macro"] == approx(skm.average_precision_score(Y, proba, average="macro"))
        assert m["average_precision_micro"] == approx(skm.average_precision_score(Y, proba, average="micro"))
    assert ev["functions"]["accuracy"] == "sklearn.metrics.accuracy_score"
    assert ev["functions"]["roc_auc_macro"] == "sklearn.metrics.roc_auc_score"
    # per class: sklearn.metrics.precision_recall_fscore_support; one-vs-rest roc_auc_score / average_precision_score
    p, r, f, s = skm.precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    assert [c["label"] for c in ev["per_class"]] == ev["classes"] == [str(c) for c in classes]
    for j, row in enumerate(ev["per_class"]):
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == (approx(p[j]), approx(r[j]), approx(f[j]), s[j])
        assert row["roc_auc"] == approx(skm.roc_auc_score(np.asarray(y) == classes[j], proba[:, j]))
        assert row["average_precision"] == approx(skm.average_precision_score(np.asarray(y) == classes[j], proba[:, j]))
    # sklearn.metrics.confusion_matrix, and normalize="true" for the row-normalised one
    assert ev["confusion"]["counts"] == skm.confusion_matrix(y, pred, labels=classes).tolist()
    assert np.allclose(ev["confusion"]["normalized"], skm.confusion_matrix(y, pred, labels=classes, normalize="true"))
    # curves: sklearn.metrics.roc_curve / auc, precision_recall_curve, sklearn.calibration.calibration_curve
    curve_classes = classes[1:] if len(classes) == 2 else classes
    rocs = {c["label"]: c for c in ev["curves"]["roc"]}
    prs = {c["label"]: c for c in ev["curves"]["pr"]}
    cals = {c["label"]: c for c in ev["curves"]["calibration"]}
    for c in curve_classes:
        j = classes.index(c)
        fpr, tpr, _ = skm.roc_curve(np.asarray(y) == c, proba[:, j])
        assert len(fpr) <= 2000  # small enough here to be kept whole
        assert rocs[str(c)]["x"] == fpr.tolist() and rocs[str(c)]["y"] == tpr.tolist()
        assert rocs[str(c)]["auc"] == approx(skm.auc(fpr, tpr))
        precision, recall, _ = skm.precision_recall_curve(np.asarray(y) == c, proba[:, j])
        assert prs[str(c)]["x"] == recall.tolist() and prs[str(c)]["y"] == precision.tolist()
        assert prs[str(c)]["ap"] == approx(skm.average_precision_score(np.asarray(y) == c, proba[:, j]))
        frac, mean = calibration_curve(np.asarray(y) == c, proba[:, j], n_bins=10)
        assert cals[str(c)]["x"] == pytest.approx(mean.tolist()) and cals[str(c)]["y"] == pytest.approx(frac.tolist())
        assert sum(cals[str(c)]["count"]) == len(y)
    if len(classes) > 2:
        fpr, tpr, _ = skm.roc_curve(Y.ravel(), proba.ravel())
        assert rocs["micro"]["auc"] == approx(skm.auc(fpr, tpr)) == approx(m["roc_auc_micro"])
        assert rocs["macro"]["auc"] == pytest.approx(m["roc_auc_macro"], abs=0.01)  # interpolated mean curve
        assert prs["micro"]["ap"] == approx(m["average_precision_micro"])


def X_of(model):
    return model._eval_X


def fit(model, Xtr, ytr, Xte):
    model.fit(Xtr, ytr)
    model._eval_X = Xte  # what check_classification predicts on (pickled along, ignored by sklearn)
    return model


def test_binary_pipeline_on_breast_cancer(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_breast_cancer, tmp_path)
    model = fit(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), Xtr, ytr, Xte)
    save(model, tmp_path / "lr.pkl")
    ev = evaluate(tmp_path, "lr.pkl", data)
    assert ev["format"] == 1 and ev["task"] == "binary" and ev["main_metric"] == "accuracy" and ev["higher_is_better"]
    check_classification(ev, yte.to_numpy(), model)
    assert ev["model"] == {"path": str(tmp_path / "lr.pkl"), "sha256": hashlib.sha256((tmp_path / "lr.pkl").read_bytes()).hexdigest(),
                           "loader": "pickle", "class": "sklearn.pipeline.Pipeline"}
    assert ev["data"] == {"path": str(data), "sha256": hashlib.sha256(data.read_bytes()).hexdigest(), "rows": len(yte),
                          "target": "label"}
    # the threshold explorer: sklearn.metrics.precision_recall_curve of the positive class
    proba = model.predict_proba(Xte)[:, 1]
    precision, recall, thresholds = skm.precision_recall_curve(yte, proba)
    t = ev["threshold"]
    assert t["positive"] == "1" and t["thresholds"] == thresholds.tolist()
    assert t["precision"] == precision[:-1].tolist() and t["recall"] == recall[:-1].tolist()
    f1 = [skm.f1_score(yte, (proba >= th).astype(int)) for th in thresholds]
    assert t["f1"] == pytest.approx(f1, abs=1e-12)  # sklearn.metrics.f1_score at each threshold
    assert t["best_f1_threshold"] == thresholds[int(np.argmax(f1))]
    rows = predictions(tmp_path)
    assert ev["predictions_file"] == "predictions.csv" and len(rows) == len(yte)
    assert [r["y_pred"] for r in rows] == [str(v) for v in model.predict(Xte)]
    assert [float(r["proba_1"]) for r in rows] == pytest.approx(proba.tolist(), abs=1e-15)
    assert [r["y_true"] for r in rows] == [str(v) for v in yte]
    assert ev["elapsed_seconds"] > 0


def test_multiclass_forest_on_iris(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_iris, tmp_path)
    model = fit(RandomForestClassifier(30, random_state=0), Xtr, ytr, Xte)
    save(model, tmp_path / "rf.pkl")
    ev = evaluate(tmp_path, "rf.pkl", data)
    assert ev["task"] == "multiclass" and ev["classes"] == ["0", "1", "2"] and "threshold" not in ev
    check_classification(ev, yte.to_numpy(), model)


def test_string_labels_and_a_label_the_model_does_not_know(tmp_path: Path) -> None:
    d = load_iris(as_frame=True)
    names = np.array(d.target_names)[d.target]
    model = fit(LogisticRegression(max_iter=1000), d.data, names, d.data)
    save(model, tmp_path / "lr.pkl")
    d.data.assign(label=names).to_csv(tmp_path / "data.csv", index=False)
    ev = evaluate(tmp_path, "lr.pkl", tmp_path / "data.csv")
    assert ev["classes"] == ["setosa", "versicolor", "virginica"]
    check_classification(ev, names, model)
    names[3] = "rosa"
    d.data.assign(label=names).to_csv(tmp_path / "bad.csv", index=False)
    r = mlwb(["evaluate", "--model", "lr.pkl", "--data", "bad.csv", "--target", "label", "--out", "bad"], tmp_path)
    assert r.returncode == 2 and "label(s) the model does not know: 'rosa'" in r.stderr
    assert not (tmp_path / "bad").exists()


def test_regression_on_diabetes(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_diabetes, tmp_path)
    for name, model in (("rf", RandomForestRegressor(30, random_state=0)), ("ridge", make_pipeline(StandardScaler(), Ridge()))):
        model.fit(Xtr, ytr)
        save(model, tmp_path / f"{name}.pkl")
        ev = evaluate(tmp_path, f"{name}.pkl", data)
        pred = model.predict(Xte)
        y = yte.to_numpy()
        assert ev["task"] == "regression" and ev["main_metric"] == "rmse" and ev["higher_is_better"] is False
        m = ev["metrics"]
        assert m["mae"] == approx(skm.mean_absolute_error(y, pred))
        assert m["rmse"] == approx(skm.mean_squared_error(y, pred, squared=False))
        assert m["r2"] == approx(skm.r2_score(y, pred))
        assert m["mape"] == approx(skm.mean_absolute_percentage_error(y, pred))
        assert m["median_ae"] == approx(skm.median_absolute_error(y, pred))
        assert ev["functions"]["r2"] == "sklearn.metrics.r2_score"
        reg = ev["regression"]
        # (the pipeline's last digit may differ: the CLI hands it a float array in the model's column order)
        assert reg["predicted_vs_actual"] == {"x": y.tolist(), "y": pytest.approx(pred.tolist(), rel=1e-12)}
        assert reg["residuals"] == {"x": pytest.approx(pred.tolist(), rel=1e-12), "y": pytest.approx((y - pred).tolist(), abs=1e-9)}
        counts, edges = np.histogram(y - pred, bins=30)  # numpy.histogram
        assert reg["histogram"] == {"edges": pytest.approx(edges.tolist()), "counts": counts.tolist()}
        assert "classes" not in ev and "curves" not in ev
        assert [float(r["y_pred"]) for r in predictions(tmp_path)] == pytest.approx(pred.tolist(), rel=1e-12)


def test_xgboost_models(tmp_path: Path) -> None:
    xgb = pytest.importorskip("xgboost")
    X, y = make_classification(n_samples=600, n_features=8, n_informative=5, n_classes=3, random_state=0)
    cols = [f"f{i}" for i in range(8)]
    import pandas as pd

    Xtr, Xte = pd.DataFrame(X[::2], columns=cols), pd.DataFrame(X[1::2], columns=cols)
    ytr, yte = y[::2], y[1::2]
    Xte.assign(label=yte).to_csv(tmp_path / "data.csv", index=False)
    model = fit(xgb.XGBClassifier(n_estimators=20, max_depth=3), Xtr, ytr, Xte)
    model.save_model(str(tmp_path / "xgb.json"))
    ev = evaluate(tmp_path, "xgb.json", tmp_path / "data.csv")
    assert ev["task"] == "multiclass" and ev["model"]["loader"] == "xgboost-json"
    check_classification(ev, yte, model)
    reg = xgb.XGBRegressor(n_estimators=20, max_depth=3).fit(Xtr, X[::2, 0] * 3 + ytr)
    reg.save_model(str(tmp_path / "reg.ubj"))
    Xte.assign(label=X[1::2, 0] * 3 + yte).to_csv(tmp_path / "reg.csv", index=False)
    ev = evaluate(tmp_path, "reg.ubj", tmp_path / "reg.csv")
    assert ev["task"] == "regression" and ev["model"]["loader"] == "xgboost-ubj"
    assert ev["metrics"]["r2"] == approx(skm.r2_score(X[1::2, 0] * 3 + yte, reg.predict(Xte)))


def test_long_curves_are_downsampled_keeping_their_ends(tmp_path: Path) -> None:
    import pandas as pd

    X, y = make_classification(n_samples=40000, n_features=6, flip_y=0.3, random_state=1)
    cols = [f"x{i}" for i in range(6)]
    model = LogisticRegression().fit(pd.DataFrame(X[:20000], columns=cols), y[:20000])
    save(model, tmp_path / "lr.pkl")
    Xte = pd.DataFrame(X[20000:], columns=cols)
    Xte.assign(label=y[20000:]).to_csv(tmp_path / "data.csv", index=False)
    ev = evaluate(tmp_path, "lr.pkl", tmp_path / "data.csv")
    proba = model.predict_proba(Xte)[:, 1]
    fpr, tpr, _ = skm.roc_curve(y[20000:], proba)
    precision, recall, thresholds = skm.precision_recall_curve(y[20000:], proba)
    assert len(fpr) > 2000 and len(thresholds) > 2000  # so there is something to downsample
    roc, pr, t = ev["curves"]["roc"][0], ev["curves"]["pr"][0], ev["threshold"]
    assert len(roc["x"]) <= 2000 and len(pr["x"]) <= 2000 and len(t["thresholds"]) <= 2000
    assert (roc["x"][0], roc["y"][0], roc["x"][-1], roc["y"][-1]) == (fpr[0], tpr[0], fpr[-1], tpr[-1])
    assert (pr["x"][0], pr["x"][-1], pr["y"][-1]) == (recall[0], recall[-1], precision[-1])
    assert t["thresholds"][0] == thresholds[0] and t["thresholds"][-1] == thresholds[-1]
    assert set(roc["x"]) <= set(fpr.tolist())  # points of the curve, not new ones
    assert roc["auc"] == approx(skm.auc(fpr, tpr))  # the AUC of the whole curve
    # the best threshold is searched on the whole curve, not the downsampled one
    f1 = 2 * precision[:-1] * recall[:-1] / (precision[:-1] + recall[:-1])
    assert t["best_f1_threshold"] == thresholds[int(np.nanargmax(f1))]


def test_bad_input_is_a_clear_error_with_nothing_written(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_breast_cancer, tmp_path)
    save(RandomForestClassifier(5, random_state=0).fit(Xtr, ytr), tmp_path / "rf.pkl")
    Xte.assign(y=yte).to_csv(tmp_path / "no_target.csv", index=False)
    Xte.drop(columns=["mean radius", "worst area"]).assign(label=yte).to_csv(tmp_path / "few.csv", index=False)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "evaluation.json").write_text("an earlier evaluation")
    cases = [
        (["--data", "no_target.csv", "--target", "label"], "target column 'label' is not in the CSV"),
        (["--data", "few.csv", "--target", "label"], "lacks 2 column(s) the model was trained on: mean radius, worst area"),
        (["--data", "missing.csv", "--target", "label"], "data file not found: missing.csv"),
        (["--data", str(data), "--target", "label", "--model-sha256", "0" * 64], "not the " + "0" * 64),
        (["--data", str(data), "--target", "label", "--model-sha256", "abc"], "is not a sha256"),
    ]
    for args, message in cases:
        for out in ("new", "old"):
            r = mlwb(["evaluate", "--model", "rf.pkl", *args, "--out", out], tmp_path)
            assert r.returncode == 2, (args, r.stderr)
            assert message in r.stderr and "Traceback" not in r.stderr
            last = lines(r.stdout)[-1]
            assert last["kind"] == "evaluateError" and message in last["error"] and last["exitCode"] == 2
            assert not (tmp_path / "new").exists()
            assert sorted(p.name for p in (tmp_path / "old").iterdir()) == ["evaluation.json"]
            assert (tmp_path / "old" / "evaluation.json").read_text() == "an earlier evaluation"
    r = mlwb(["evaluate", "--model", "nope.pkl", "--data", str(data), "--target", "label", "--out", "new"], tmp_path)
    assert r.returncode == 2 and "model file not found" in r.stderr


def test_the_agreed_sha256_loads_and_other_bytes_are_refused(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_breast_cancer, tmp_path)
    path = save(RandomForestClassifier(5, random_state=0).fit(Xtr, ytr), tmp_path / "rf.pkl")
    agreed = hashlib.sha256(path.read_bytes()).hexdigest()
    ev = evaluate(tmp_path, "rf.pkl", data, "--model-sha256", agreed.upper())
    assert ev["model"]["sha256"] == agreed
    save(RandomForestClassifier(6, random_state=0).fit(Xtr, ytr), path)  # the file changed after the question
    r = mlwb(["evaluate", "--model", "rf.pkl", "--data", str(data), "--target", "label", "--out", "out2",
              "--model-sha256", agreed], tmp_path)
    assert r.returncode == 2 and f"not the {agreed} that was agreed to" in r.stderr
    assert not (tmp_path / "out2").exists()


def test_sigterm_cancels_cleanly_and_leaves_earlier_files(tmp_path: Path) -> None:
    import pandas as pd

    marker = tmp_path / "started"
    save(BlockingClassifier(str(marker)), tmp_path / "block.pkl")
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "label": [0, 1]}).to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "evaluation.json").write_text("an earlier evaluation")
    proc = subprocess.Popen([sys.executable, "-m", "mlwb", "evaluate", "--model", "block.pkl", "--data", "data.csv",
                             "--target", "label", "--out", "out"], env=env(), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:  # wait on the job's own word that it is predicting, then the model's
            if json.loads(line).get("stage") == "predict":
                break
        until(marker.exists, timeout=60)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "cancelled; nothing was written" in err and "Traceback" not in err
    assert lines(out)[-1] == {"kind": "evaluateError", "error": "cancelled; nothing was written", "exitCode": 130}
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["evaluation.json"]
    assert (tmp_path / "out" / "evaluation.json").read_text() == "an earlier evaluation"


def test_stored_with_an_ended_run(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import events
    from mlwb import Experiment

    monkeypatch.setenv("MLWB_STORE", str(store))
    Xtr, ytr, Xte, yte, data = split_dataset(load_iris, tmp_path)
    save(RandomForestClassifier(5, random_state=0).fit(Xtr, ytr), tmp_path / "rf.pkl")
    exp = Experiment("train").start()
    exp.flush()
    args = ["evaluate", "--model", "rf.pkl", "--data", str(data), "--target", "label", "--run", exp.id]
    r = mlwb(args, tmp_path, store)
    assert r.returncode == 2 and "has not ended (status running)" in r.stderr
    exp.complete()
    r = mlwb(args, tmp_path, store)
    assert r.returncode == 0, r.stderr
    run_dir = store / "runs" / exp.id
    saved = run_dir / "files" / "evaluation" / "evaluation.json"
    assert lines(r.stdout)[-2]["path"] == str(saved)
    assert json.loads(saved.read_text())["run"] == exp.id
    recs = {e["path"]: e for e in events(run_dir) if e["t"] == "file"}
    assert set(recs) == {"evaluation/evaluation.json", "evaluation/predictions.csv"}
    assert recs["evaluation/evaluation.json"]["sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()
    assert recs["evaluation/evaluation.json"]["tags"] == ["evaluation"]


@pytest.mark.skipif(sys.platform == "win32", reason="the fake extension uses a Unix socket")
def test_under_vscode_events_go_on_the_pipe_and_run_cancel_stops_it(tmp_path: Path) -> None:
    import pandas as pd

    from fake_extension import FakeExtension

    Xtr, ytr, Xte, yte, data = split_dataset(load_iris, tmp_path)
    save(RandomForestClassifier(5, random_state=0).fit(Xtr, ytr), tmp_path / "rf.pkl")
    ext = FakeExtension()
    try:
        r = subprocess.run([sys.executable, "-m", "mlwb", "evaluate", "--model", "rf.pkl", "--data", str(data),
                            "--target", "label", "--out", "out"], env={**env(), "MLWB_RPC_PIPE": ext.path},
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        sent = [m["params"]["event"] for m in ext.messages if m.get("method") == "run/event"]
        assert sent == lines(r.stdout)  # the same objects as the stdout lines
        assert sent[-2] == {"kind": "evaluateResult", "path": str(tmp_path / "out" / "evaluation.json")}
    finally:
        ext.close()
    marker = tmp_path / "started"
    save(BlockingClassifier(str(marker)), tmp_path / "block.pkl")
    pd.DataFrame({"a": [1.0], "b": [2.0], "label": [1]}).to_csv(tmp_path / "two.csv", index=False)
    ext = FakeExtension()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "mlwb", "evaluate", "--model", "block.pkl", "--data", "two.csv",
                                 "--target", "label", "--out", "blocked"], env={**env(), "MLWB_RPC_PIPE": ext.path},
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        until(marker.exists, what="the model's predict to start")
        rid = ext.request("run/cancel", {"reason": "test"})
        assert ext.wait_reply(rid)["result"] == {"accepted": True}
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert lines(out)[-1]["kind"] == "evaluateError" and not (tmp_path / "blocked").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        ext.close()
