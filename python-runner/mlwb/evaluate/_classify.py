"""Classification metrics, per-class figures, confusion matrix and curves, each from scikit-learn's own
function (``FUNCTIONS`` names it, and evaluation.json carries the table so a reader can check).

Labels are class indexes 0..K-1 in the model's ``classes_`` order; names only at the edges."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import numpy as np
from sklearn import metrics as skm

from ._curves import calibration, keep, floats, xy

FUNCTIONS = {
    "accuracy": "sklearn.metrics.accuracy_score",
    "balanced_accuracy": "sklearn.metrics.balanced_accuracy_score",
    "precision_macro": "sklearn.metrics.precision_score",
    "recall_macro": "sklearn.metrics.recall_score",
    "f1_macro": "sklearn.metrics.f1_score",
    "precision_weighted": "sklearn.metrics.precision_score",
    "recall_weighted": "sklearn.metrics.recall_score",
    "f1_weighted": "sklearn.metrics.f1_score",
    "log_loss": "sklearn.metrics.log_loss",
    "brier": "sklearn.metrics.brier_score_loss",
    "roc_auc_macro": "sklearn.metrics.roc_auc_score",
    "roc_auc_micro": "sklearn.metrics.roc_auc_score",
    "average_precision_macro": "sklearn.metrics.average_precision_score",
    "average_precision_micro": "sklearn.metrics.average_precision_score",
}
PER_CLASS = "sklearn.metrics.precision_recall_fscore_support"
CONFUSION = "sklearn.metrics.confusion_matrix"
Progress = Callable[[str, int, int], None]


def _noop(stage: str, current: int, total: int) -> None:
    pass


def label_metrics(y: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    """What needs only the predicted labels (zero_division=0: a class never predicted scores 0)."""
    out = {"accuracy": skm.accuracy_score(y, pred), "balanced_accuracy": skm.balanced_accuracy_score(y, pred)}
    for avg in ("macro", "weighted"):
        out[f"precision_{avg}"] = skm.precision_score(y, pred, average=avg, zero_division=0)
        out[f"recall_{avg}"] = skm.recall_score(y, pred, average=avg, zero_division=0)
        out[f"f1_{avg}"] = skm.f1_score(y, pred, average=avg, zero_division=0)
    return {k: float(v) for k, v in out.items()}


def onehot(y: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(y), k), dtype=np.int64)
    out[np.arange(len(y)), y] = 1
    return out


def proba_metrics(y: np.ndarray, proba: np.ndarray) -> Dict[str, float]:
    """log loss, Brier (binary: of the positive class; multiclass: the mean of the one-vs-rest scores), ROC AUC
    and average precision (binary: of the positive class as sklearn's binary case; micro: over the one-hot
    matrix). A score that needs both outcomes of a class present is left out when they are not."""
    k = proba.shape[1]
    Y = onehot(y, k)
    out: Dict[str, float] = {"log_loss": float(skm.log_loss(y, proba, labels=list(range(k))))}
    if k == 2:
        out["brier"] = float(skm.brier_score_loss(Y[:, 1], proba[:, 1]))
    else:
        out["brier"] = float(np.mean([skm.brier_score_loss(Y[:, j], proba[:, j]) for j in range(k)]))
    if len(np.unique(y)) < 2:
        return out
    if k == 2:
        out["roc_auc_macro"] = float(skm.roc_auc_score(Y[:, 1], proba[:, 1]))
        out["average_precision_macro"] = float(skm.average_precision_score(Y[:, 1], proba[:, 1]))
    elif Y.min(axis=0).max() == 0 and Y.max(axis=0).min() == 1:  # every class has positives and negatives
        out["roc_auc_macro"] = float(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
        out["average_precision_macro"] = float(skm.average_precision_score(Y, proba, average="macro"))
    out["roc_auc_micro"] = float(skm.roc_auc_score(Y, proba, average="micro"))
    out["average_precision_micro"] = float(skm.average_precision_score(Y, proba, average="micro"))
    return out


def per_class(y: np.ndarray, pred: np.ndarray, proba: Optional[np.ndarray], names: List[str]) -> List[Dict[str, Any]]:
    k = len(names)
    p, r, f, s = skm.precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=0)
    rows = []
    for j, name in enumerate(names):
        row: Dict[str, Any] = {"label": name, "precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]),
                               "support": int(s[j])}
        if proba is not None and 0 < s[j] < len(y):
            row["roc_auc"] = float(skm.roc_auc_score(y == j, proba[:, j]))
            row["average_precision"] = float(skm.average_precision_score(y == j, proba[:, j]))
        rows.append(row)
    return rows


def confusion(y: np.ndarray, pred: np.ndarray, names: List[str]) -> Dict[str, Any]:
    counts = skm.confusion_matrix(y, pred, labels=list(range(len(names))))
    totals = counts.sum(axis=1, keepdims=True)
    normalized = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals != 0)
    return {"labels": names, "counts": counts.astype(int).tolist(), "normalized": normalized.tolist()}


def _curve_classes(y: np.ndarray, k: int) -> List[int]:
    """Binary: the positive class only (the negative's curves are its mirror). Classes absent from the data
    (or the only one present) have no curve."""
    classes = [1] if k == 2 else list(range(k))
    return [j for j in classes if 0 < int(np.sum(y == j)) < len(y)]


def curves(y: np.ndarray, proba: np.ndarray, names: List[str], progress: Progress = _noop) -> Dict[str, Any]:
    k = proba.shape[1]
    Y = onehot(y, k)
    roc: List[Dict[str, Any]] = []
    pr: List[Dict[str, Any]] = []
    cal: List[Dict[str, Any]] = []
    classes = _curve_classes(y, k)
    grid = []
    for i, j in enumerate(classes):
        progress("curves", i, len(classes) + 1)
        fpr, tpr, _ = skm.roc_curve(Y[:, j], proba[:, j])
        grid.append((fpr, tpr))
        roc.append(xy(fpr, tpr, label=names[j], auc=float(skm.auc(fpr, tpr))))
        precision, recall, _ = skm.precision_recall_curve(Y[:, j], proba[:, j])
        pr.append(xy(recall, precision, label=names[j], ap=float(skm.average_precision_score(Y[:, j], proba[:, j]))))
        cal.append(calibration(Y[:, j], proba[:, j], names[j]))
    if k > 2 and classes:
        fpr, tpr, _ = skm.roc_curve(Y.ravel(), proba.ravel())
        roc.append(xy(fpr, tpr, label="micro", auc=float(skm.auc(fpr, tpr))))
        # macro: the mean of the per-class TPRs interpolated on every FPR any of them has (sklearn's example)
        all_fpr = np.unique(np.concatenate([f for f, _ in grid]))
        mean_tpr = np.mean([np.interp(all_fpr, f, t) for f, t in grid], axis=0)
        roc.append(xy(all_fpr, mean_tpr, label="macro", auc=float(skm.auc(all_fpr, mean_tpr))))
        precision, recall, _ = skm.precision_recall_curve(Y.ravel(), proba.ravel())
        pr.append(xy(recall, precision, label="micro", ap=float(skm.average_precision_score(Y, proba, average="micro"))))
    progress("curves", len(classes) + 1, len(classes) + 1)
    return {"roc": roc, "pr": pr, "calibration": cal}


def threshold(y: np.ndarray, proba: np.ndarray, names: List[str]) -> Optional[Dict[str, Any]]:
    """Binary: precision, recall and F1 of "positive when P(positive) ≥ t" for each threshold t of
    ``sklearn.metrics.precision_recall_curve``; the best F1's threshold."""
    pos = (y == 1).astype(np.int64)
    if not 0 < pos.sum() < len(pos):
        return None
    precision, recall, thresholds = skm.precision_recall_curve(pos, proba[:, 1])
    precision, recall = precision[:-1], recall[:-1]  # the last point (recall 0) has no threshold
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom != 0)
    best = int(np.argmax(f1))
    idx = keep(len(thresholds))
    return {"positive": names[1], "thresholds": floats(thresholds[idx]), "precision": floats(precision[idx]),
            "recall": floats(recall[idx]), "f1": floats(f1[idx]), "best_f1_threshold": float(thresholds[best]),
            "best_f1": float(f1[best]), "function": "sklearn.metrics.precision_recall_curve"}
