"""Names a user recognises for the data a metric was computed on: the variable that holds it in the caller.

``accuracy_score(y_test, clf.predict(X_test))`` is ``test/accuracy_score``: the caller's frame binds ``X_test``
(or ``y_test``) to the very object, and ``X_``/``y_`` prefixes and ``_X``/``_y`` suffixes are dropped.
"""
from __future__ import annotations

import os
import re
from types import FrameType
from typing import Any, Iterator, Optional

MAX_FRAMES = 8
# Names that say nothing about which data it is.
_BARE = {"", "x", "y", "data", "target", "targets", "label", "labels", "true", "pred", "preds", "predictions",
         "prediction", "proba", "probs", "score", "scores", "features", "inputs", "outputs", "truth", "gt", "yhat"}
_SPLIT = {"train", "test", "val", "valid", "validation", "eval", "dev", "holdout", "hold_out"}
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def dataset_name(variable: str) -> Optional[str]:
    """``X_test`` -> ``test``, ``y_val`` -> ``val``, ``test_y`` -> ``test``, ``Xtrain`` -> ``train``; None for
    names that do not tell (``X``, ``y``, ``y_true``, ``y_pred``)."""
    name = variable
    low = name.lower()
    if low[:2] in ("x_", "y_"):
        name = name[2:]
    elif low[:1] in ("x", "y") and low[1:] in _SPLIT:
        name = name[1:]
    low = name.lower()
    if low[-2:] in ("_x", "_y"):
        name = name[:-2]
    name = _SAFE.sub("_", name).strip("_.")
    return None if name.lower() in _BARE else name


def user_frames(frame: Optional[FrameType]) -> Iterator[FrameType]:
    """``frame`` and its callers, skipping mlwb's own frames (at most MAX_FRAMES)."""
    n = 0
    while frame is not None and n < MAX_FRAMES:
        if not os.path.abspath(frame.f_code.co_filename).startswith(_OWN_DIR):
            n += 1
            yield frame
        frame = frame.f_back


def name_of(obj: Any, frame: Optional[FrameType]) -> Optional[str]:
    """The dataset name of the first variable bound to ``obj`` (by identity) in ``frame`` or its callers."""
    if obj is None:
        return None
    for f in user_frames(frame):
        for var, value in list(f.f_locals.items()):
            if value is obj:
                ds = dataset_name(var)
                if ds is not None:
                    return ds
    return None

