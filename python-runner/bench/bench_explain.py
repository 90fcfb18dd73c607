"""Exact TreeSHAP speed: a 100-tree RandomForest x 1,000 rows x 30 features, and its ratio to
brute-force exact Shapley values (same path-dependent value function, every subset of features) on a
subset where brute force is feasible: the same forest size with 12 features (4,096 subsets), 3 rows.

Prints one JSON object: {"figures": [{"name", "value", "unit", "baseline", "baseline_name", "ratio", ...}]}
(ratio = value / baseline, as in bench_sdk.py). Run: /usr/bin/python3 python-runner/bench/bench_explain.py
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

from mlwb.explain import TreeExplainer, from_sklearn, tree_shap_brute  # noqa: E402
from mlwb.explain._treeshap_reference import tree_shap_reference_ensemble  # noqa: E402

REPEATS = 2


def best(fn, repeats: int = REPEATS) -> tuple:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def forest(n_features: int) -> tuple:
    X, y = make_classification(n_samples=1000, n_features=n_features, n_informative=min(10, n_features),
                               random_state=0)
    return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(X, y), X


def main() -> None:
    figures = []

    # 1. The full job: 100 trees x 1,000 rows x 30 features (path table built inside the timing).
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

    # 2. Against brute force on a subset it can do: same forest size, 12 features, 3 rows.
    model12, X12 = forest(12)
    ens12 = from_sklearn(model12)
    rows = X12[:3]
    setup_secs, ex12 = best(lambda: TreeExplainer(ens12))  # once per model: the leaves' path table
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
