"""``python -m mlwb evaluate --model A --model B``: comparison.json's deltas, the paired bootstrap interval
(replayed here with scikit-learn's metric on every resample) and McNemar's test (against a hand computation
and scipy.stats when present)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from sklearn import metrics as skm  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from evaluate_helpers import lines, mlwb, save, split_dataset  # noqa: E402


def compare(tmp: Path, data: Path, out: str = "out", *extra: str) -> dict:
    r = mlwb(["evaluate", "--model", "a.pkl", "--model", "b.pkl", "--data", str(data), "--target", "label",
              "--out", out, *extra], tmp)
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout)[-2] == {"kind": "evaluateResult", "path": str(tmp / out / "comparison.json")}
    assert sorted(p.name for p in (tmp / out).iterdir()) == ["comparison.json", "predictions_a.csv", "predictions_b.csv"]
    return json.loads((tmp / out / "comparison.json").read_text())


def replay_bootstrap(y, pa, pb, metric, resamples=1000, seed=0):
    """The documented resampling (np.random.default_rng(seed).integers(0, n, n), one call per resample),
    each resample scored by scikit-learn's own function."""
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        idx = rng.integers(0, len(y), len(y))
        diffs.append(metric(y[idx], pb[idx]) - metric(y[idx], pa[idx]))
    return np.percentile(diffs, [2.5, 97.5])


def test_two_classifiers_on_breast_cancer(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_breast_cancer, tmp_path)
    a = RandomForestClassifier(3, max_depth=2, random_state=0).fit(Xtr, ytr)
    b = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(Xtr, ytr)
    save(a, tmp_path / "a.pkl")
    save(b, tmp_path / "b.pkl")
    c = compare(tmp_path, data)
    y, pa, pb = yte.to_numpy(), a.predict(Xte), b.predict(Xte)
    assert c["format"] == 1 and c["main_metric"] == "accuracy" and c["higher_is_better"] is True
    assert c["a"]["metrics"]["accuracy"] == skm.accuracy_score(y, pa) and c["a"]["predictions_file"] == "predictions_a.csv"
    assert c["b"]["metrics"]["accuracy"] == skm.accuracy_score(y, pb) and c["b"]["predictions_file"] == "predictions_b.csv"
    assert c["a"]["model"]["path"] == str(tmp_path / "a.pkl") and c["b"]["data"] == c["a"]["data"]
    assert set(c["delta"]) == set(c["a"]["metrics"])
    for k, v in c["delta"].items():
        assert v == c["b"]["metrics"][k] - c["a"]["metrics"][k]
    assert c["delta"]["f1_macro"] == pytest.approx(skm.f1_score(y, pb, average="macro") - skm.f1_score(y, pa, average="macro"))
    boot = c["bootstrap"]
    assert (boot["metric"], boot["confidence"], boot["resamples"], boot["seed"]) == ("accuracy", 0.95, 1000, 0)
    assert boot["difference"] == pytest.approx(skm.accuracy_score(y, pb) - skm.accuracy_score(y, pa), abs=1e-15)
    low, high = replay_bootstrap(y, pa, pb, skm.accuracy_score)  # sklearn.metrics.accuracy_score per resample
    assert (boot["low"], boot["high"]) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert boot["low"] <= boot["difference"] <= boot["high"] and boot["low"] < boot["high"]
    # McNemar by hand: b01 = A right and B wrong, b10 = A wrong and B right
    ra, rb = pa == y, pb == y
    b01, b10 = int(np.sum(ra & ~rb)), int(np.sum(~ra & rb))
    mc = c["mcnemar"]
    assert (mc["b01"], mc["b10"]) == (b01, b10) and b01 + b10 > 0
    n = b01 + b10
    if n < 25:
        p = min(1.0, 2 * sum(math.comb(n, i) for i in range(min(b01, b10) + 1)) / 2 ** n)
        assert mc["exact"] is True and mc["p_value"] == pytest.approx(p)
    else:
        stat = (abs(b01 - b10) - 1) ** 2 / n
        assert mc["exact"] is False and mc["statistic"] == pytest.approx(stat)
        assert mc["p_value"] == pytest.approx(math.erfc(math.sqrt(stat / 2)))
    # the same seed gives the same interval; another seed another one, still around the same difference
    again = compare(tmp_path, data, "again")
    assert again["bootstrap"] == boot
    other = compare(tmp_path, data, "other", "--seed", "7", "--resamples", "300")["bootstrap"]
    assert (other["seed"], other["resamples"]) == (7, 300) and (other["low"], other["high"]) != (boot["low"], boot["high"])
    assert other["difference"] == boot["difference"]
    low, high = replay_bootstrap(y, pa, pb, skm.accuracy_score, resamples=300, seed=7)
    assert (other["low"], other["high"]) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))


def test_two_regressors_on_diabetes(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_diabetes, tmp_path)
    a = RandomForestRegressor(10, random_state=0).fit(Xtr, ytr)
    b = LinearRegression().fit(Xtr, ytr)
    save(a, tmp_path / "a.pkl")
    save(b, tmp_path / "b.pkl")
    c = compare(tmp_path, data)
    y, pa, pb = yte.to_numpy(), a.predict(Xte), b.predict(Xte)
    rmse = lambda t, p: skm.mean_squared_error(t, p, squared=False)  # noqa: E731
    assert c["main_metric"] == "rmse" and c["higher_is_better"] is False and "mcnemar" not in c
    assert c["delta"]["rmse"] == pytest.approx(rmse(y, pb) - rmse(y, pa), rel=1e-9)
    assert c["delta"]["r2"] == pytest.approx(skm.r2_score(y, pb) - skm.r2_score(y, pa), rel=1e-9)
    boot = c["bootstrap"]
    low, high = replay_bootstrap(y, pa, pb, rmse)  # sklearn.metrics.mean_squared_error(squared=False) per resample
    assert (boot["low"], boot["high"]) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))
    assert boot["low"] <= boot["difference"] <= boot["high"]


def test_a_classifier_and_a_regressor_cannot_be_compared(tmp_path: Path) -> None:
    Xtr, ytr, Xte, yte, data = split_dataset(load_breast_cancer, tmp_path)
    save(LogisticRegression(max_iter=3000).fit(Xtr, ytr), tmp_path / "a.pkl")
    save(LinearRegression().fit(Xtr, ytr), tmp_path / "b.pkl")
    r = mlwb(["evaluate", "--model", "a.pkl", "--model", "b.pkl", "--data", str(data), "--target", "label", "--out", "out"], tmp_path)
    assert r.returncode == 2 and "cannot compare a binary model with a regression one" in r.stderr
    assert not (tmp_path / "out").exists()
    r = mlwb(["evaluate", "--compare", "--model", "a.pkl", "--data", str(data), "--target", "label", "--out", "out"], tmp_path)
    assert r.returncode == 2 and "or two to compare" in r.stderr
    r = mlwb(["evaluate", "--model", "a.pkl", "--model", "b.pkl", "--model-sha256", "0" * 64, "--data", str(data),
              "--target", "label", "--out", "out"], tmp_path)
    assert r.returncode == 2 and "one --model-sha256 per --model" in r.stderr


@pytest.mark.parametrize("b01,b10", [(0, 0), (3, 0), (7, 2), (12, 12), (20, 4), (30, 12), (5, 40), (100, 80)])
def test_mcnemar_against_scipy(b01: int, b10: int) -> None:
    from mlwb.evaluate import Outcome, mcnemar

    # rows: b01 where A is right and B wrong, b10 the other way, 10 both right, 5 both wrong
    a_right = [1] * b01 + [0] * b10 + [1] * 10 + [0] * 5
    b_right = [0] * b01 + [1] * b10 + [1] * 10 + [0] * 5
    y = ["x"] * len(a_right)

    def outcome(right):
        return Outcome({}, {"y_true": y, "y_pred": ["x" if r else "z" for r in right]}, np.zeros(len(y)), np.zeros(len(y)), None)

    mc = mcnemar(outcome(a_right), outcome(b_right))
    assert (mc["b01"], mc["b10"], mc["exact"]) == (b01, b10, b01 + b10 < 25)
    stats = pytest.importorskip("scipy.stats")
    if mc["exact"]:
        p = stats.binomtest(min(b01, b10), b01 + b10, 0.5).pvalue if b01 + b10 else 1.0
        assert mc["statistic"] == min(b01, b10)
    else:
        stat = (abs(b01 - b10) - 1) ** 2 / (b01 + b10)
        p = stats.chi2.sf(stat, 1)
        assert mc["statistic"] == pytest.approx(stat)
    assert mc["p_value"] == pytest.approx(p, rel=1e-9)
