"""Permutation importance and partial dependence / ICE, through ``sklearn.inspection``.

Both run on what SHAP explained (the same estimator and input space). A raw XGBoost booster is not an
sklearn estimator: it gets a thin adapter for permutation importance and a direct brute-force PDP/ICE
(the same computation sklearn's ``method="brute"`` does) on its margin.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import numpy as np

from ._model import Target, as_model_input

Check = Callable[[], None]


class _BoosterEstimator:
    """Enough of an estimator for ``permutation_importance`` with a callable scorer."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def fit(self, X: Any, y: Any = None) -> "_BoosterEstimator":  # never called
        return self


def _booster_score(target: Target, X: np.ndarray, y: np.ndarray) -> float:
    out = target.predict(X)
    if target.task == "classification":
        classes = target.classes or list(range(max(2, out.shape[1])))
        idx = (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
        pred = np.asarray(classes, dtype=object)[idx]
        return float(np.mean([str(a) == str(b) or _same_number(a, b) for a, b in zip(pred, y)]))
    from sklearn.metrics import r2_score
    import xgboost

    booster = target.model
    p = booster.predict(xgboost.DMatrix(np.asarray(X, dtype=np.float32), feature_names=booster.feature_names,
                                        feature_types=booster.feature_types))
    return float(r2_score(np.asarray(y, dtype=np.float64), np.asarray(p).reshape(len(y), -1)[:, 0]))


def _same_number(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def permutation(target: Target, X: np.ndarray, y: np.ndarray, n_repeats: int, seed: int,
                check: Check, progress: Callable[[int, int], None]) -> Dict[str, Any]:
    from sklearn.inspection import permutation_importance

    total = 2 + X.shape[1] * n_repeats  # the baseline twice (ours, then sklearn's), then each shuffle
    calls = [0]
    if target.sklearn_estimator:
        from sklearn.metrics import check_scoring

        base = check_scoring(target.model)
        scoring_name = "accuracy" if target.task == "classification" else "r2"
        estimator = target.model

        def score(est: Any, Xp: Any, yp: Any) -> float:
            check()
            calls[0] += 1
            progress(calls[0], total)
            return float(base(est, as_model_input(est, np.asarray(Xp)), yp))
    else:
        scoring_name = "accuracy" if target.task == "classification" else "r2"
        estimator = _BoosterEstimator(target)

        def score(est: Any, Xp: Any, yp: Any) -> float:
            check()
            calls[0] += 1
            progress(calls[0], total)
            return _booster_score(target, np.asarray(Xp), yp)

    baseline = score(estimator, X, y)
    Xin = as_model_input(target.model, X) if X.dtype == object else X  # mixed types: as a DataFrame
    r = permutation_importance(estimator, Xin, y, scoring=score, n_repeats=n_repeats, random_state=seed)
    return {"scoring": scoring_name, "nRepeats": n_repeats, "rows": int(X.shape[0]), "baselineScore": baseline,
            "mean": r.importances_mean.tolist(), "std": r.importances_std.tolist()}


def _grid(col: np.ndarray, resolution: int, percentiles=(0.05, 0.95)) -> np.ndarray:
    uniq = np.unique(col[~np.isnan(col)])
    if len(uniq) <= resolution:
        return uniq
    lo, hi = np.quantile(col[~np.isnan(col)], percentiles)
    return np.linspace(lo, hi, resolution) if hi > lo else uniq[:resolution]


def partial_dependence(target: Target, X: np.ndarray, feature: int, grid_resolution: int,
                       ice_rows: np.ndarray) -> Dict[str, Any]:
    """Average (PDP) over all rows of X and individual (ICE) lines for ``ice_rows`` (indices into X)."""
    if target.sklearn_estimator:
        from sklearn.inspection import partial_dependence as sk_pd

        r = sk_pd(target.model, as_model_input(target.model, X), [feature], kind="both",
                  grid_resolution=grid_resolution, method="brute")
        grid = np.asarray(r["grid_values"][0] if "grid_values" in r else r["values"][0], dtype=np.float64)
        average = np.asarray(r["average"], dtype=np.float64)  # (outputs, grid)
        individual = np.asarray(r["individual"], dtype=np.float64)[:, ice_rows, :]  # (outputs, ice, grid)
        if target.task == "classification":
            classes = target.classes or []
            names = [f"P({classes[-1]})"] if average.shape[0] == 1 and len(classes) == 2 else [f"P({c})" for c in classes]
            space = "probability" if hasattr(target.model, "predict_proba") else "decision"
        else:
            names = ["prediction"] if average.shape[0] == 1 else [f"prediction[{j}]" for j in range(average.shape[0])]
            space = "prediction"
        if len(names) != average.shape[0]:
            names = [f"output[{j}]" for j in range(average.shape[0])]
    else:
        grid = _grid(np.asarray(X[:, feature], dtype=np.float64), grid_resolution)
        lines = []
        for g in grid:
            Xg = np.array(X, copy=True)
            Xg[:, feature] = g
            lines.append(target.predict(Xg))  # (n, outputs)
        stacked = np.stack(lines, axis=2)  # (n, outputs, grid)
        average = stacked.mean(axis=0)
        individual = stacked[ice_rows].transpose(1, 0, 2)
        names, space = target.output_names, target.output_space
    return {
        "grid": grid.tolist(), "space": space,
        "outputs": [{"name": names[j], "average": average[j].tolist(), "individual": individual[j].tolist()}
                    for j in range(average.shape[0])],
    }
