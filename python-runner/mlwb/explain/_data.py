"""Loading what the CLI is given: the model file and the CSV, and matching the CSV's columns to the model.

SECURITY: a pickle or joblib file is code: loading it runs whatever its author put in it. The CLI only
loads the one file it is given explicitly (the extension asks the user first), never searches for any.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, List, Optional, Tuple

import numpy as np

from .._modelfile import ModelLoadError, detect_format, feature_names, load, n_features
from ._model import ExplainError


def load_model(path: str, sha256: Optional[str] = None) -> Any:
    """The model file as explain takes it (the loader serve uses); an XGBoost model as its Booster, whose
    margin is explained. ``sha256``: the hash the user agreed to; other bytes are refused."""
    try:
        fmt = detect_format(path)
        if fmt == "torch":
            raise ExplainError(f"could not load {path}: it is a PyTorch checkpoint; explain takes scikit-learn "
                               "(pickle/joblib) and XGBoost models")
        model, fmt = load(path, fmt, sha256)
    except ModelLoadError as e:
        raise ExplainError(str(e)) from None
    return model.get_booster() if fmt.startswith("xgboost") else model


def _number(s: str) -> Optional[float]:
    s = s.strip()
    if s == "" or s.lower() in ("nan", "na", "null", "none"):
        return float("nan")
    try:
        return float(s)
    except ValueError:
        return None


def read_csv(path: str) -> Tuple[List[str], np.ndarray]:
    """(header, values as an object array: floats where a column is numeric, else strings)."""
    p = Path(path)
    if not p.is_file():
        raise ExplainError(f"data file not found: {path}")
    try:
        import pandas as pd

        df = pd.read_csv(p)
        return [str(c) for c in df.columns], df.to_numpy(dtype=object)
    except ImportError:
        pass
    except Exception as e:
        raise ExplainError(f"could not read {p.name} as CSV: {e}") from None
    with open(p, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ExplainError(f"{p.name} is empty")
    header, body = rows[0], [r for r in rows[1:] if r]
    cols = list(zip(*body)) if body else [() for _ in header]
    out = np.empty((len(body), len(header)), dtype=object)
    for j, col in enumerate(cols):
        nums = [_number(v) for v in col]
        out[:, j] = nums if all(v is not None for v in nums) else list(col)
    return header, out


def numeric(values: np.ndarray) -> np.ndarray:
    """Float array when every value is a number, else the object array as is."""
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        return values


def select_columns(model: Any, header: List[str], values: np.ndarray, target: Optional[str]
                   ) -> Tuple[np.ndarray, Optional[np.ndarray], List[str], List[str]]:
    """(X, y, feature names, warnings): the model's feature columns in its order, and the target."""
    warnings: List[str] = []
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise ExplainError(f"duplicate column names in the CSV: {', '.join(dup)}")
    y = None
    if target is not None:
        if target not in header:
            raise ExplainError(f"target column {target!r} is not in the CSV (columns: {', '.join(header)})")
        y = values[:, header.index(target)]
    available = [h for h in header if h != target]
    wanted = feature_names(model)
    if wanted is not None:
        missing = [c for c in wanted if c not in available]
        extra = [c for c in available if c not in wanted]
        if missing:
            msg = f"the CSV lacks {len(missing)} column(s) the model was trained on: {', '.join(missing)}"
            if extra:
                msg += f"; columns the model does not know: {', '.join(extra)}"
            raise ExplainError(msg)
        if extra:
            warnings.append(f"ignoring CSV columns the model was not trained on: {', '.join(extra)}")
        names = list(wanted)
    else:
        n = n_features(model)
        if n is not None and n != len(available):
            raise ExplainError(f"the model expects {n} features but the CSV has {len(available)} columns"
                               + (f" besides the target {target!r}" if target else "")
                               + f" ({', '.join(available)}); pass --target if one of them is the label")
        names = available
    X = numeric(values[:, [header.index(c) for c in names]])
    if y is not None:
        y = numeric(y)
    return X, y, names, warnings
