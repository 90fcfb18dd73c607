"""Two evaluations on the same rows: deltas, a paired bootstrap interval for the main metric's difference,
and McNemar's test for two classifiers. Standard library + numpy (no scipy needed)."""
from __future__ import annotations

import math
from typing import Any, Callable, Dict

import numpy as np

from ._evaluate import EvaluateError, Outcome

CONFIDENCE = 0.95
RESAMPLES = 1000
EXACT_BELOW = 25  # discordant pairs: fewer -> exact binomial test, else chi-squared with continuity correction


def _per_row(o: Outcome, metric: str) -> np.ndarray:
    """What the main metric averages over rows: 1/0 correct (accuracy), squared error (rmse)."""
    if metric == "accuracy":
        return (np.asarray(o.columns["y_true"], dtype=object) == np.asarray(o.columns["y_pred"], dtype=object)
                ).astype(np.float64)
    return (o.y - o.pred) ** 2


def _finish(metric: str, mean: np.ndarray) -> np.ndarray:
    return np.sqrt(mean) if metric == "rmse" else mean


def bootstrap(a: Outcome, b: Outcome, metric: str, resamples: int = RESAMPLES, seed: int = 0,
              check: Callable[[], None] = lambda: None) -> Dict[str, Any]:
    """Percentile interval of metric(b) − metric(a) over ``resamples`` paired resamples of the rows (the same
    rows for both models): resample i draws ``np.random.default_rng(seed).integers(0, n, n)``, the i-th call."""
    ra, rb = _per_row(a, metric), _per_row(b, metric)
    n = len(ra)
    rng = np.random.default_rng(seed)
    diffs = np.empty(resamples)
    for i in range(resamples):
        if i % 100 == 0:
            check()
        idx = rng.integers(0, n, n)
        diffs[i] = _finish(metric, rb[idx].mean()) - _finish(metric, ra[idx].mean())
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    point = float(_finish(metric, rb.mean()) - _finish(metric, ra.mean()))
    return {"metric": metric, "difference": point, "low": float(low), "high": float(high),
            "confidence": CONFIDENCE, "resamples": resamples, "seed": seed, "method": "percentile, paired rows"}


def mcnemar(a: Outcome, b: Outcome) -> Dict[str, Any]:
    """b01: rows A gets right and B wrong; b10: rows A gets wrong and B right. Exact two-sided binomial
    test (statistic: the smaller count) when b01 + b10 < 25, else chi-squared with continuity correction."""
    ca, cb = _per_row(a, "accuracy") == 1, _per_row(b, "accuracy") == 1
    b01, b10 = int(np.sum(ca & ~cb)), int(np.sum(~ca & cb))
    n = b01 + b10
    if n < EXACT_BELOW:
        k = min(b01, b10)
        p = min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n) if n else 1.0
        return {"b01": b01, "b10": b10, "statistic": float(k), "p_value": p, "exact": True}
    stat = (abs(b01 - b10) - 1) ** 2 / n
    return {"b01": b01, "b10": b10, "statistic": float(stat), "p_value": math.erfc(math.sqrt(stat / 2)),
            "exact": False}


def compare(a: Outcome, b: Outcome, resamples: int = RESAMPLES, seed: int = 0,
            check: Callable[[], None] = lambda: None) -> Dict[str, Any]:
    ea, eb = a.evaluation, b.evaluation
    if (ea["task"] == "regression") != (eb["task"] == "regression"):
        raise EvaluateError(f"cannot compare a {ea['task']} model with a {eb['task']} one")
    if len(a.y) != len(b.y):
        raise EvaluateError("the two evaluations are not on the same rows")
    metric = ea["main_metric"]
    out: Dict[str, Any] = {
        "format": 1, "main_metric": metric, "higher_is_better": ea["higher_is_better"],
        "delta": {k: eb["metrics"][k] - v for k, v in ea["metrics"].items() if k in eb["metrics"]},
        "bootstrap": bootstrap(a, b, metric, resamples, seed, check),
    }
    if ea["task"] != "regression":
        out["mcnemar"] = mcnemar(a, b)
    return out
