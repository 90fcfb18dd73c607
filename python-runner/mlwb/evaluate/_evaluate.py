"""One model on one labelled table: predictions, then every figure of evaluation.json.

``evaluate(model, X, y_raw)`` returns ``(evaluation, predictions)``: the dict without its file sections
(model/data/predictions_file/elapsed_seconds, which the CLI fills in) and the per-row columns written to
predictions.csv. ``encoded`` (class indexes or floats) is kept for comparisons."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from . import _classify, _regress

Progress = Callable[[str, int, int], None]
CHUNK_ROWS = 20000


class EvaluateError(Exception):
    """A user-facing problem (model, data, columns, options): exit 2, nothing written."""


class Cancelled(BaseException):
    """SIGTERM / run/cancel: a BaseException, so that no library's ``except Exception`` swallows it."""


@dataclass
class Outcome:
    evaluation: Dict[str, Any]
    columns: Dict[str, List[Any]]  # predictions.csv, column by column
    y: np.ndarray  # class indexes, or floats (regression)
    pred: np.ndarray
    proba: Optional[np.ndarray]


def label_key(v: Any) -> str:
    """One text for a label however the file or the model spells it: 1, 1.0, "1" and np.int64(1) are "1"."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() else repr(f)
    s = str(v).strip()
    try:
        f = float(s)
    except ValueError:
        return s
    return str(int(f)) if f.is_integer() else s


def encode(values: Any, names: List[str], what: str) -> np.ndarray:
    """Class indexes of ``values`` (each distinct value spelled once through ``label_key``)."""
    index = {n: i for i, n in enumerate(names)}
    arr = np.asarray(values)
    try:
        distinct, inverse = np.unique(arr, return_inverse=True)
    except TypeError:  # values that do not sort together (mixed types in an object column)
        keyed = [label_key(v) for v in arr.reshape(-1)]
        distinct_keys = sorted(set(keyed))
        where = {k: i for i, k in enumerate(distinct_keys)}
        distinct, inverse = np.asarray(distinct_keys, dtype=object), np.fromiter((where[k] for k in keyed), np.int64)
    keys = [label_key(v) for v in distinct]
    unknown = sorted({k for k in keys if k not in index})
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise EvaluateError(f"{what} has label(s) the model does not know: {shown} (the model's classes: "
                            f"{', '.join(names)})")
    return np.asarray([index[k] for k in keys], dtype=np.int64)[inverse.reshape(-1)]


def _predict(model: Any, X: Any, method: str, progress: Progress, check: Callable[[], None]) -> np.ndarray:
    parts = []
    for start in range(0, len(X), CHUNK_ROWS):
        check()
        progress(method, start, len(X))
        try:
            parts.append(np.asarray(model.call(X[start:start + CHUNK_ROWS], method)))
        except Exception as e:
            raise EvaluateError(f"the model could not {method} rows {start + 1}-{min(len(X), start + CHUNK_ROWS)}: "
                                f"{type(e).__name__}: {e}") from e
    progress(method, len(X), len(X))
    return np.concatenate(parts) if parts else np.empty(0)


def evaluate(model: Any, X: Any, y_raw: Any, progress: Optional[Progress] = None,
             cancelled: Optional[Callable[[], bool]] = None) -> Outcome:
    """``model``: an ``mlwb._model.Model`` (serve's loader and input handling)."""
    report: Progress = progress or (lambda s, c, t: None)

    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()

    if len(X) == 0:
        raise EvaluateError("the data has no rows")
    if model.classes is not None:
        return _classification(model, X, y_raw, report, check)
    return _regression(model, X, y_raw, report, check)


def _classification(model: Any, X: Any, y_raw: Any, progress: Progress, check: Callable[[], None]) -> Outcome:
    names = [label_key(c) for c in model.classes]
    if len(set(names)) != len(names):
        raise EvaluateError(f"the model's classes are ambiguous as text: {model.classes}")
    y = encode(y_raw, names, "the target column")
    pred_raw = _predict(model, X, "predict", progress, check).reshape(-1)
    pred = encode(pred_raw, names, "the model's predictions")
    proba = None
    if model.has_proba:
        proba = _predict(model, X, "predict_proba", progress, check).astype(np.float64).reshape(len(y), -1)
        if proba.shape[1] != len(names):
            raise EvaluateError(f"predict_proba gives {proba.shape[1]} columns for {len(names)} classes")
    check()
    progress("metrics", 0, 3)
    metrics = _classify.label_metrics(y, pred)
    if proba is not None:
        metrics.update(_classify.proba_metrics(y, proba))
    functions = {k: v for k, v in _classify.FUNCTIONS.items() if k in metrics}
    progress("metrics", 1, 3)
    evaluation: Dict[str, Any] = {
        "format": 1, "task": "binary" if len(names) == 2 else "multiclass",
        "main_metric": "accuracy", "higher_is_better": True, "metrics": metrics, "functions": functions,
        "classes": names, "per_class": _classify.per_class(y, pred, proba, names),
        "confusion": _classify.confusion(y, pred, names),
    }
    evaluation["functions"]["per_class"] = _classify.PER_CLASS
    evaluation["functions"]["confusion"] = _classify.CONFUSION
    progress("metrics", 2, 3)
    check()
    if proba is not None:
        evaluation["curves"] = _classify.curves(y, proba, names, progress)
        evaluation["functions"].update(roc="sklearn.metrics.roc_curve", pr="sklearn.metrics.precision_recall_curve",
                                       calibration="sklearn.calibration.calibration_curve")
        if len(names) == 2:
            t = _classify.threshold(y, proba, names)
            if t is not None:
                evaluation["threshold"] = t
    else:
        evaluation["curves"] = {"roc": [], "pr": [], "calibration": []}
    progress("metrics", 3, 3)
    text = np.asarray(names, dtype=object)
    columns: Dict[str, List[Any]] = {"y_true": text[y].tolist(), "y_pred": text[pred].tolist()}
    if proba is not None:
        for j, n in enumerate(names):
            columns[f"proba_{n}"] = proba[:, j].tolist()
    return Outcome(evaluation, columns, y, pred, proba)


def _regression(model: Any, X: Any, y_raw: Any, progress: Progress, check: Callable[[], None]) -> Outcome:
    try:
        y = np.asarray(y_raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise EvaluateError("the model is a regressor (no classes) but the target column is not numeric") from None
    if not np.all(np.isfinite(y)):
        raise EvaluateError(f"the target column has {int(np.sum(~np.isfinite(y)))} missing or non-finite value(s)")
    raw = _predict(model, X, "predict", progress, check)
    try:
        pred = raw.astype(np.float64).reshape(len(y), -1)
    except (TypeError, ValueError):
        raise EvaluateError("the model predicts values that are not numbers, yet it has no classes") from None
    if pred.shape[1] != 1:
        raise EvaluateError(f"the model predicts {pred.shape[1]} outputs per row; evaluate takes one target")
    pred = pred[:, 0]
    check()
    progress("metrics", 0, 1)
    metrics = _regress.metrics(y, pred)
    evaluation = {
        "format": 1, "task": "regression", "main_metric": "rmse", "higher_is_better": False,
        "metrics": metrics, "functions": dict(_regress.FUNCTIONS), "regression": _regress.plots(y, pred),
    }
    evaluation["functions"]["histogram"] = "numpy.histogram"
    progress("metrics", 1, 1)
    columns = {"y_true": y.tolist(), "y_pred": pred.tolist()}
    return Outcome(evaluation, columns, y, pred, None)

