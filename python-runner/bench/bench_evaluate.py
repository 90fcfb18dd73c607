"""Evaluation speed: ``python -m mlwb evaluate`` on a 100-tree RandomForest and 100,000 rows x 20 features,
against a plain scikit-learn script that reads the same CSV, loads the same pickle and computes the same
numbers (accuracy ... average precision, log loss, Brier, per-class table, confusion matrix, ROC / PR /
calibration curves, the threshold table) and writes them as JSON with the predictions CSV.

Both run as child processes (interpreter start, imports, CSV, model load, predict + predict_proba, metrics,
files), alternating, ``REPEATS`` times; figures are the medians of the children's CPU time and of wall time.
Prints {"figures": [...]} (ratio = value / baseline). Run: /usr/bin/python3 python-runner/bench/bench_evaluate.py
"""
from __future__ import annotations

import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[1]
REPEATS = 3
ROWS = 100_000

PLAIN = r'''
import json, pickle, sys
import numpy as np, pandas as pd
from sklearn import metrics as m
from sklearn.calibration import calibration_curve
model = pickle.load(open(sys.argv[1], "rb"))
df = pd.read_csv(sys.argv[2])
y, X = df.pop("label").to_numpy(), df
pred, proba = model.predict(X), model.predict_proba(X)
p1 = proba[:, 1]
out = {"accuracy": m.accuracy_score(y, pred), "balanced_accuracy": m.balanced_accuracy_score(y, pred)}
for avg in ("macro", "weighted"):
    out["precision_" + avg] = m.precision_score(y, pred, average=avg, zero_division=0)
    out["recall_" + avg] = m.recall_score(y, pred, average=avg, zero_division=0)
    out["f1_" + avg] = m.f1_score(y, pred, average=avg, zero_division=0)
Y = np.column_stack([1 - y, y])
out.update(log_loss=m.log_loss(y, proba), brier=m.brier_score_loss(y, p1), roc_auc_macro=m.roc_auc_score(y, p1),
           average_precision_macro=m.average_precision_score(y, p1),
           roc_auc_micro=m.roc_auc_score(Y, proba, average="micro"),
           average_precision_micro=m.average_precision_score(Y, proba, average="micro"))
per_class = [list(map(list, m.precision_recall_fscore_support(y, pred, zero_division=0)))]
per_class += [[m.roc_auc_score(y == k, proba[:, k]) for k in (0, 1)], [m.average_precision_score(y == k, proba[:, k]) for k in (0, 1)]]
cm = m.confusion_matrix(y, pred)
fpr, tpr, _ = m.roc_curve(y, p1)
prec, rec, thr = m.precision_recall_curve(y, p1)
frac, mean = calibration_curve(y, p1, n_bins=10)
f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-300)
json.dump({"metrics": out, "per_class": per_class, "confusion": cm.tolist(), "roc": [fpr.tolist(), tpr.tolist()],
           "auc": m.auc(fpr, tpr), "pr": [rec.tolist(), prec.tolist()], "calibration": [mean.tolist(), frac.tolist()],
           "threshold": [thr.tolist(), f1.tolist()]}, open(sys.argv[3] + "/plain.json", "w"), default=float)
pd.DataFrame({"y_true": y, "y_pred": pred, "proba_0": proba[:, 0], "proba_1": p1}).to_csv(sys.argv[3] + "/plain.csv", index=False)
'''


def child(cmd: list, env: dict) -> tuple:
    """(CPU seconds of the child, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed: {r.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=ROWS + 10_000, n_features=20, n_informative=8, flip_y=0.05, random_state=0)
    cols = [f"x{i}" for i in range(20)]
    model = RandomForestClassifier(n_estimators=100, max_depth=12, random_state=0, n_jobs=1)
    model.fit(pd.DataFrame(X[:10_000], columns=cols), y[:10_000])
    env = {k: v for k, v in os.environ.items() if k != "MLWB_RPC_PIPE"}
    env["PYTHONPATH"] = str(RUNNER)
    ours, plain = [], []
    with tempfile.TemporaryDirectory() as tmp:
        model_path, data = Path(tmp) / "rf.pkl", Path(tmp) / "data.csv"
        model_path.write_bytes(pickle.dumps(model))
        pd.DataFrame(X[10_000:], columns=cols).assign(label=y[10_000:]).to_csv(data, index=False)
        script = Path(tmp) / "plain.py"
        script.write_text(PLAIN)
        evaluate = [sys.executable, "-m", "mlwb", "evaluate", "--model", str(model_path), "--data", str(data),
                    "--target", "label", "--out", str(Path(tmp) / "out")]
        baseline = [sys.executable, str(script), str(model_path), str(data), tmp]
        for r in range(REPEATS):  # alternate which goes first
            if r % 2:
                plain.append(child(baseline, env))
                ours.append(child(evaluate, env))
            else:
                ours.append(child(evaluate, env))
                plain.append(child(baseline, env))
        ev = json.loads((Path(tmp) / "out" / "evaluation.json").read_text())
        theirs = json.loads((Path(tmp) / "plain.json").read_text())["metrics"]
        worst = max(abs(ev["metrics"][k] - v) for k, v in theirs.items())
    note = f"{ROWS:,} rows x 20 features, RandomForest(100, max_depth=12); median of {REPEATS}; max metric difference {worst:.1e}"
    figures = [
        {"name": "evaluate: 100-tree forest, 100k rows (CPU)", "value": statistics.median(o[0] for o in ours),
         "baseline": statistics.median(p[0] for p in plain), "unit": "s",
         "baseline_name": "plain scikit-learn script, same metrics (CPU)", "note": note},
        {"name": "evaluate: 100-tree forest, 100k rows (wall)", "value": statistics.median(o[1] for o in ours),
         "baseline": statistics.median(p[1] for p in plain), "unit": "s",
         "baseline_name": "plain scikit-learn script, same metrics (wall)", "note": note},
    ]
    for f in figures:
        f["ratio"] = f["value"] / f["baseline"]
    print(json.dumps({"figures": figures}))


if __name__ == "__main__":
    main()
