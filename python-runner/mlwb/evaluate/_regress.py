"""Regression metrics and plots, each from scikit-learn's own function (``FUNCTIONS``)."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np
from sklearn import metrics as skm

from ._curves import floats, keep

FUNCTIONS = {
    "mae": "sklearn.metrics.mean_absolute_error",
    "rmse": "sklearn.metrics.mean_squared_error",  # squared=False
    "r2": "sklearn.metrics.r2_score",
    "mape": "sklearn.metrics.mean_absolute_percentage_error",
    "median_ae": "sklearn.metrics.median_absolute_error",
}
HISTOGRAM_BINS = 30


def metrics(y: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    return {
        "mae": float(skm.mean_absolute_error(y, pred)),
        "rmse": float(skm.mean_squared_error(y, pred, squared=False)),
        "r2": float(skm.r2_score(y, pred)),
        "mape": float(skm.mean_absolute_percentage_error(y, pred)),
        "median_ae": float(skm.median_absolute_error(y, pred)),
    }


def plots(y: np.ndarray, pred: np.ndarray) -> Dict[str, Any]:
    """Scatter plots of at most 2,000 rows (evenly spread over the file's order), the histogram of all."""
    residual = y - pred
    idx = keep(len(y))
    counts, edges = np.histogram(residual, bins=HISTOGRAM_BINS)
    return {
        "predicted_vs_actual": {"x": floats(y[idx]), "y": floats(pred[idx])},
        "residuals": {"x": floats(pred[idx]), "y": floats(residual[idx])},
        "histogram": {"edges": floats(edges), "counts": [int(c) for c in counts]},
    }
