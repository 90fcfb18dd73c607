"""A model file for serving or batch prediction, and turning request payloads into its input.

Loading (formats, errors, feature names) is ``_modelfile``'s, shared with explain.

numpy is needed to serve (every scikit-learn/XGBoost model brings it); pandas is used when present.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._modelfile import ModelLoadError, classes, feature_names, load, n_features, safe_getattr

__all__ = ["InputError", "Model", "ModelLoadError", "method_from_params", "to_array"]

PAYLOAD_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
METHODS = ("predict", "predict_proba")


class InputError(Exception):
    """A request the model can't take: becomes an HTTP error ``{"error_code", "message", ...}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> Dict[str, Any]:
        return {"error_code": self.code, "message": self.message, **self.extra}


def _np() -> Any:
    import numpy

    return numpy


def _pd() -> Any:
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Model:
    """A loaded model: what it expects (feature names / count) and how to call it."""

    def __init__(self, path: str, name: Optional[str] = None, version: Optional[str] = None,
                 sha256: Optional[str] = None) -> None:
        self.path = os.path.abspath(path)
        self.obj, self.format = load(self.path, sha256=sha256)
        self.name = name or os.path.splitext(os.path.basename(path))[0]
        self.version = version
        self.sha256 = file_sha256(self.path)
        self.size = os.path.getsize(self.path)
        self.cls = f"{type(self.obj).__module__}.{type(self.obj).__qualname__}"
        self.feature_names = feature_names(self.obj)
        self.n_features = n_features(self.obj)
        self.classes = classes(self.obj)
        self.has_proba = callable(safe_getattr(self.obj, "predict_proba"))
        self.threshold: Optional[float] = None
        self._index = {f: i for i, f in enumerate(self.feature_names or ())}
        self.needs_frame = self.feature_names is not None and _pd() is not None and not _plain_sklearn(self.obj)
        if self.feature_names is not None:
            # Columns are always passed in the model's order: the warning about a nameless array is noise.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")

    def set_threshold(self, threshold: float) -> None:
        """``predict`` of a binary classifier answers the second class when its probability is ≥ threshold."""
        if self.classes is None or len(self.classes) != 2 or not self.has_proba:
            raise ModelLoadError(f"a threshold needs a binary classifier with predict_proba; {self.name} is "
                                 f"{'a regressor' if self.classes is None else f'{len(self.classes)} classes' if len(self.classes) != 2 else 'without predict_proba'}")
        if not 0.0 <= threshold <= 1.0:
            raise ModelLoadError(f"the threshold must be between 0 and 1, not {threshold}")
        self.threshold = threshold

    def metadata(self) -> Dict[str, Any]:
        extra = {"threshold": self.threshold} if self.threshold is not None else {}
        return {**extra,
            "name": self.name, "version": self.version, "path": self.path, "format": self.format,
            "model_class": self.cls, "sha256": self.sha256, "size_bytes": self.size,
            "features": self.feature_names, "n_features": self.n_features, "classes": self.classes,
            "task": "classification" if self.classes is not None else "regression",
            "methods": ["predict", "predict_proba"] if self.has_proba else ["predict"],
        }

    # -- calling ------------------------------------------------------------------------------

    def frame(self, x: Any) -> Any:
        """The model's input for a 2-D array ``x`` whose columns are already in the model's order."""
        if x.dtype == object:
            pd = _pd()
            if pd is not None:
                cols = self.feature_names or list(range(x.shape[1]))
                return pd.DataFrame(x, columns=cols).infer_objects()
            return x
        if self.needs_frame:
            return _pd().DataFrame(x, columns=self.feature_names, copy=False)
        return x

    def call(self, x: Any, method: str = "predict") -> Any:
        if method == "predict_proba" and not self.has_proba:
            raise InputError(422, "INVALID_PARAMETER_VALUE", f"{type(self.obj).__name__} has no predict_proba")
        if method == "predict" and self.threshold is not None:
            np = _np()
            positive = np.asarray(self.obj.predict_proba(self.frame(x)))[:, 1] >= self.threshold
            return np.asarray(self.classes)[positive.astype(np.int64)]
        out = getattr(self.obj, method)(self.frame(x))
        return out.to_numpy() if hasattr(out, "to_numpy") else _np().asarray(out)

    # -- request payloads -> 2-D arrays in the model's column order ---------------------------

    def check_columns(self, columns: Sequence[Any], allow_extra: bool = False) -> Optional[List[int]]:
        """Validate named columns; return the indexes that put them in the model's order (None: as is)."""
        cols = [str(c) for c in columns]
        if len(set(cols)) != len(cols):
            dup = sorted({c for c in cols if cols.count(c) > 1})
            raise InputError(422, "INVALID_PARAMETER_VALUE", f"duplicate columns: {', '.join(dup)}")
        if self.feature_names is None:
            if self.n_features is not None and len(cols) != self.n_features:
                raise InputError(422, "INVALID_PARAMETER_VALUE",
                                 f"the model expects {self.n_features} features, got {len(cols)} columns",
                                 n_features=self.n_features)
            return None
        if cols == self.feature_names:
            return None
        given = set(cols)
        missing = [f for f in self.feature_names if f not in given]
        extra = [c for c in cols if c not in self._index]
        if missing or (extra and not allow_extra):
            raise self._feature_error(missing, [] if allow_extra else extra)
        pos = {c: i for i, c in enumerate(cols)}
        return [pos[f] for f in self.feature_names]

    def _feature_error(self, missing: List[str], extra: List[str], where: str = "") -> InputError:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} feature(s): {', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}")
        if extra:
            parts.append(f"unexpected column(s): {', '.join(extra[:20])}{' ...' if len(extra) > 20 else ''}")
        names = self.feature_names or []
        listed = ", ".join(names[:50]) + (f" ... ({len(names)} in all)" if len(names) > 50 else "")
        return InputError(422, "INVALID_PARAMETER_VALUE", f"{where}{'; '.join(parts)} (the model expects: {listed})",
                          expected_features=self.feature_names, missing_features=missing, extra_features=extra)

    def _positional(self, rows: List[Any], what: str) -> Any:
        if not all(isinstance(r, list) for r in rows):
            raise InputError(400, "BAD_REQUEST", f"{what}: expected a list of rows (lists) or of records (objects)")
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise InputError(422, "INVALID_PARAMETER_VALUE", f"{what}: rows have different lengths {sorted(widths)}")
        width = widths.pop() if widths else (self.n_features or 0)
        if self.n_features is not None and width != self.n_features:
            extra: Dict[str, Any] = {"n_features": self.n_features}
            if self.feature_names is not None:
                extra["expected_features"] = self.feature_names
            names = f" ({', '.join(self.feature_names)})" if self.feature_names else ""
            raise InputError(422, "INVALID_PARAMETER_VALUE",
                             f"{what}: the model expects {self.n_features} features{names}, got rows of {width}",
                             **extra)
        return to_array(rows, width)

    def _records(self, records: List[Any], what: str) -> Any:
        if not all(isinstance(r, dict) for r in records):
            raise InputError(400, "BAD_REQUEST", f"{what}: expected a list of records (objects)")
        names = self.feature_names
        if names is None:
            if not records:
                return to_array([], self.n_features or 0)
            names = [str(k) for k in records[0]]
            self.check_columns(names)
        fset = self._index.keys() if self.feature_names is not None else set(names)
        for i, r in enumerate(records):
            if r.keys() != fset:
                keys = [str(k) for k in r]
                kset = set(keys)
                raise self._feature_error([f for f in names if f not in kset], [k for k in keys if k not in fset],
                                          where=f"{what}[{i}]: ")
        return to_array([[r[f] for f in names] for r in records], len(names))

    def _columns(self, data: Dict[str, Any], what: str) -> Any:
        cols = list(data)
        lists = [data[c] if isinstance(data[c], list) else [data[c]] for c in cols]
        lengths = {len(v) for v in lists}
        if len(lengths) > 1:
            raise InputError(422, "INVALID_PARAMETER_VALUE", f"{what}: columns have different lengths {sorted(lengths)}")
        order = self.check_columns(cols)
        rows = [list(r) for r in zip(*lists)]
        x = to_array(rows, len(cols))
        return x if order is None else x[:, order]

    def parse_json(self, payload: Any) -> Tuple[Any, str]:
        """An MLflow scoring payload -> (2-D array in the model's order, method)."""
        if not isinstance(payload, dict):
            raise InputError(400, "BAD_REQUEST", f"expected a JSON object with one of the keys {', '.join(PAYLOAD_KEYS)}")
        keys = [k for k in PAYLOAD_KEYS if k in payload]
        if len(keys) != 1:
            raise InputError(400, "BAD_REQUEST", ("the request has more than one of" if keys else "the request has none of")
                             + f" the keys {', '.join(PAYLOAD_KEYS)}")
        method = method_from_params(payload.get("params"))
        key = keys[0]
        data = payload[key]
        if key == "dataframe_split":
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                raise InputError(400, "BAD_REQUEST", 'dataframe_split: expected {"columns": [...], "data": [[...], ...]}')
            rows = data["data"]
            columns = data.get("columns")
            if columns is None:
                return self._positional(rows, key), method
            if not isinstance(columns, list):
                raise InputError(400, "BAD_REQUEST", "dataframe_split: columns must be a list")
            order = self.check_columns(columns)
            if rows and not isinstance(rows[0], list) and len(columns) == 1:
                rows = [[v] for v in rows]
            if not all(isinstance(r, list) and len(r) == len(columns) for r in rows):
                raise InputError(422, "INVALID_PARAMETER_VALUE",
                                 f"dataframe_split: every row must have {len(columns)} values, one per column")
            x = to_array(rows, len(columns))
            return (x if order is None else x[:, order]), method
        if key == "dataframe_records":
            if not isinstance(data, list):
                raise InputError(400, "BAD_REQUEST", "dataframe_records: expected a list of records")
            return self._records(data, key), method
        # instances / inputs (TF Serving style): rows, records, or a dict of columns.
        if isinstance(data, dict):
            return self._columns(data, key), method
        if not isinstance(data, list):
            raise InputError(400, "BAD_REQUEST", f"{key}: expected a list of rows, a list of records or an object of columns")
        if data and isinstance(data[0], dict):
            return self._records(data, key), method
        if data and not isinstance(data[0], list):
            # A flat list: one row when the model takes several features, else one value per row.
            data = [data] if (self.n_features or 1) > 1 else [[v] for v in data]
        return self._positional(data, key), method

    def parse_csv(self, text: str) -> Any:
        """text/csv: a header row of feature names (optional when every cell of the first row is a number)."""
        rows = list(csv.reader(io.StringIO(text)))
        rows = [r for r in rows if r]
        if not rows:
            return to_array([], self.n_features or 0)
        first = rows[0]
        if all(_is_number(c) for c in first):
            return self._positional(rows, "csv")
        order = self.check_columns([c.strip() for c in first])
        body = rows[1:]
        if not all(len(r) == len(first) for r in body):
            raise InputError(422, "INVALID_PARAMETER_VALUE", f"csv: every row must have {len(first)} values, one per column")
        x = to_array(body, len(first))
        return x if order is None else x[:, order]


def method_from_params(params: Any) -> str:
    if params is None:
        return "predict"
    if not isinstance(params, dict):
        raise InputError(400, "BAD_REQUEST", "params must be an object")
    method = params.get("method", params.get("predict_method"))
    if method is None:
        proba = params.get("proba", params.get("predict_proba"))
        return "predict_proba" if proba in (True, 1, "1", "true") else "predict"
    if method not in METHODS:
        raise InputError(422, "INVALID_PARAMETER_VALUE", f"params.method must be one of {', '.join(METHODS)}")
    return str(method)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _cell(v: Any) -> Any:
    if v is None or v == "":
        return float("nan")
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


def to_array(rows: List[Any], width: int) -> Any:
    """Rows of values -> a 2-D float array, or an object array when some values are not numbers."""
    np = _np()
    if not rows:
        return np.empty((0, width))
    try:
        return np.array(rows, dtype=np.float64)
    except (ValueError, TypeError):
        pass
    cells = [[_cell(v) for v in r] for r in rows]
    try:
        return np.array(cells, dtype=np.float64)
    except (ValueError, TypeError):
        pass
    out = np.empty((len(cells), width), dtype=object)
    for i, r in enumerate(cells):
        for j, v in enumerate(r):
            if isinstance(v, (list, dict)):
                raise InputError(422, "INVALID_PARAMETER_VALUE", f"row {i}: nested values are not features")
            out[i, j] = v
    return out


def _plain_sklearn(obj: Any, depth: int = 0) -> bool:
    """A scikit-learn estimator that selects no columns by name (not a Pipeline/ColumnTransformer, nor a
    search/meta-estimator around one): it takes a plain array in its feature order, which skips pandas'
    per-call cost."""
    if not type(obj).__module__.startswith("sklearn.") or depth > 5:
        return False
    if any(hasattr(obj, a) for a in ("steps", "transformers", "transformer_list")):
        return False
    for inner in ("best_estimator_", "estimator", "base_estimator"):
        sub = safe_getattr(obj, inner)
        if sub is not None and not isinstance(sub, str) and hasattr(sub, "fit") and not _plain_sklearn(sub, depth + 1):
            return False
    return True
