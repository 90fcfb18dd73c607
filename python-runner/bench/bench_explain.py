"""Exact TreeSHAP speed, three figures:

1. XGBoost, 100 trees of depth 8 x 1,000 rows x 30 features: ours (booster -> trees -> SHAP values)
   against XGBoost's own C++ ``predict(pred_contribs=True)`` on the same booster and rows, both on ONE
   thread (nthread=1; OpenBLAS limited to one thread before numpy loads). CPU time of the process,
   alternating, median of ``REPEATS``; the largest difference from XGBoost's values is reported.
2. A 100-tree RandomForest (unlimited depth) x 1,000 rows x 30 features against Algorithm 2 as
   published in pure Python (2 rows measured, per-row time x 1,000).
3. Against brute-force exact Shapley values (same path-dependent value function, every subset of
   features) where brute force is feasible: the same forest size with 12 features (4,096 subsets), 3 rows.

Prints one JSON object: {"figures": [{"name", "value", "unit", "baseline", "baseline_name", "ratio", ...}]}
(ratio = value / baseline, as in bench_sdk.py). Run: /usr/bin/python3 python-runner/bench/bench_explain.py
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy loads: our matmuls on one thread, as XGBoost's nthread=1

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Tuple  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

from mlwb.explain import TreeExplainer, from_sklearn, from_xgboost, tree_shap_brute  # noqa: E402
from mlwb.explain._treeshap_reference import tree_shap_reference_ensemble  # noqa: E402

REPEATS = 5


def cpu(fn: Callable[[], Any]) -> Tuple[float, float, Any]:
    """(CPU seconds of the process, wall seconds, result)."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - w0, out


def best(fn: Callable[[], Any], repeats: int = 2) -> Tuple[float, Any]:
    runs = [cpu(fn) for _ in range(repeats)]
    return min(r[0] for r in runs), runs[-1][2]


def forest(n_features: int) -> tuple:
    X, y = make_classification(n_samples=1000, n_features=n_features, n_informative=min(10, n_features),
                               random_state=0)
    return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(X, y), X


def xgboost_anchor() -> dict:
    import xgboost

    X, y = make_classification(n_samples=20000, n_features=30, n_informative=10, random_state=0)
    booster = xgboost.train({"max_depth": 8, "eta": 0.1, "objective": "binary:logistic", "nthread": 2},
                            xgboost.DMatrix(X, label=y), num_boost_round=100)
    booster.set_param({"nthread": 1})
    rows = X[:1000]
    dm = xgboost.DMatrix(rows, nthread=1)

    def ours() -> Tuple[TreeExplainer, np.ndarray]:
        ex = TreeExplainer(from_xgboost(booster))
        return ex, ex.shap_values(rows)

    runs = []
    for r in range(REPEATS):  # alternate which goes first
        if r % 2:
            theirs = cpu(lambda: booster.predict(dm, pred_contribs=True))
            mine = cpu(ours)
        else:
            mine = cpu(ours)
            theirs = cpu(lambda: booster.predict(dm, pred_contribs=True))
        runs.append((mine, theirs))
    ex, phi = runs[-1][0][2]
    contribs = runs[-1][1][2]
    ratios = sorted(m[0] / t[0] for m, t in runs)
    value = statistics.median(m[0] for m, _ in runs)
    baseline = statistics.median(t[0] for _, t in runs)
    return {
        "name": "TreeSHAP exact: XGBoost 100 trees depth 8 x 1,000 rows x 30 features, one thread (CPU time)",
        "value": round(value, 3), "unit": "s", "baseline": round(baseline, 3),
        "baseline_name": "XGBoost's own C++ predict(pred_contribs=True), nthread=1, same booster and rows",
        "ratio": round(value / baseline, 3),
        "pair_ratio_min": round(ratios[0], 3), "pair_ratio_max": round(ratios[-1], 3),
        "wall_s": round(statistics.median(m[1] for m, _ in runs), 3),
        "baseline_wall_s": round(statistics.median(t[1] for _, t in runs), 3),
        "leaves": ex.n_leaves,
        "max_diff_vs_xgboost": float(np.abs(phi[:, :, 0] - contribs[:, :-1]).max()),
        "expected_value_diff_vs_xgboost": float(abs(ex.expected_value[0] - contribs[0, -1])),
    }


def main() -> None:
    figures = [xgboost_anchor()]

    # 2. A deep forest: 100 trees x 1,000 rows x 30 features (paths flattened inside the timing).
    model, X = forest(30)
    ens = from_sklearn(model)
    secs, (ex, phi) = best(lambda: (lambda e: (e, e.shap_values(X)))(TreeExplainer(ens)))
    err = float(np.abs(ex.expected_value + phi.sum(1) - model.predict_proba(X)).max())
    ref_rows = X[:2]
    ref_secs, ref_phi = best(lambda: tree_shap_reference_ensemble(ens, ref_rows), repeats=1)
    ref_diff = float(np.abs(ref_phi - phi[:2]).max())
    figures.append({
        "name": "TreeSHAP exact (path-dependent): RandomForest 100 trees x 1,000 rows x 30 features, all rows",
        "value": round(secs, 3), "unit": "s",
        "baseline": round(ref_secs / len(ref_rows) * len(X), 3),
        "baseline_name": "Algorithm 2 as published, pure Python: 2 rows measured, per-row time x 1,000",
        "ratio": round(secs / (ref_secs / len(ref_rows) * len(X)), 4),
        "per_row_ms": round(secs / len(X) * 1000, 3),
        "leaves": ex.n_leaves,
        "local_accuracy_max_error": err, "max_diff_vs_algorithm_2": ref_diff,
    })

    # 3. Against brute force on a subset it can do: same forest size, 12 features, 3 rows.
    model12, X12 = forest(12)
    ens12 = from_sklearn(model12)
    rows = X12[:3]
    setup_secs, ex12 = best(lambda: TreeExplainer(ens12))  # once per model: the trees' paths
    tree_secs, phi12 = best(lambda: ex12.shap_values(rows))
    all_secs, _ = best(lambda: ex12.shap_values(X12))
    brute_secs, brute = best(lambda: [tree_shap_brute(ens12, x)[0] for x in rows], repeats=1)
    diff = float(max(np.abs(phi12[r] - brute[r]).max() for r in range(len(rows))))
    per_tree, per_brute = tree_secs / len(rows), brute_secs / len(rows)
    figures.append({
        "name": "TreeSHAP vs brute-force exact Shapley (2^12 subsets): RandomForest 100 trees x 12 features, per row, same 3 rows",
        "value": round(per_tree, 5), "unit": "s/row",
        "baseline": round(per_brute, 5),
        "baseline_name": "brute force over all 4,096 feature subsets, path-dependent E[f|x_S] by tree traversal",
        "ratio": round(per_tree / per_brute, 5), "speedup": round(per_brute / per_tree, 1),
        "setup_s_once_per_model": round(setup_secs, 4),
        "treeshap_per_row_s_over_1000_rows": round(all_secs / len(X12), 6),
        "max_abs_diff": diff,
    })
    print(json.dumps({"figures": figures}))


if __name__ == "__main__":
    main()
