"""Curves as the panel draws them: at most ``MAX_POINTS`` points each, first and last kept."""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

MAX_POINTS = 2000
CALIBRATION_BINS = 10


def keep(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Indexes of at most ``limit`` evenly spread points of ``n``, always with 0 and n-1."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def floats(a: Any) -> List[float]:
    return [float(v) for v in np.asarray(a, dtype=np.float64)]


def xy(x: Any, y: Any, **extra: Any) -> Dict[str, Any]:
    """A curve {x, y, ...} downsampled on the same indexes."""
    x, y = np.asarray(x), np.asarray(y)
    idx = keep(len(x))
    out: Dict[str, Any] = {"x": floats(x[idx]), "y": floats(y[idx])}
    for k, v in extra.items():
        out[k] = v
    return out


def calibration(y_true: np.ndarray, prob: np.ndarray, label: str) -> Dict[str, Any]:
    """The reliability curve of ``sklearn.calibration.calibration_curve(y, p, n_bins=10)`` (uniform bins,
    empty ones dropped) plus the number of rows in each bin."""
    bins = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    ids = np.searchsorted(bins[1:-1], prob)
    count = np.bincount(ids, minlength=CALIBRATION_BINS)
    sum_prob = np.bincount(ids, weights=prob, minlength=CALIBRATION_BINS)
    sum_true = np.bincount(ids, weights=y_true.astype(np.float64), minlength=CALIBRATION_BINS)
    nz = count != 0
    return {"label": label, "x": floats(sum_prob[nz] / count[nz]), "y": floats(sum_true[nz] / count[nz]),
            "count": [int(c) for c in count[nz]]}
