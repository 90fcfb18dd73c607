"""A signature in front of a model (``serve --signature``, ``predict --signature``): requests are checked
column by column (422 ``{"error", "problems": [{column, problem}]}``), extra columns dropped (and
remembered for ``/metadata``), and what passes is handed on as a ``dataframe_split`` in the model's order.
"""
from __future__ import annotations

import csv
import io
import threading
from typing import Any, Dict, List, Optional, Sequence

from . import _signature
from ._model import PAYLOAD_KEYS, InputError, Model


class Signed:
    def __init__(self, model: Model, signature: Dict[str, Any]) -> None:
        self.signature = _signature.validate(signature)
        names = [c["name"] for c in self.signature["columns"]]
        if model.feature_names is not None:
            lacking = [f for f in model.feature_names if f not in set(names)]
            if lacking:
                raise _signature.SignatureError(f"the signature lacks column(s) the model takes: {', '.join(lacking)}")
            self.names = list(model.feature_names)
        else:
            if model.n_features is not None and model.n_features != len(names):
                raise _signature.SignatureError(f"the signature has {len(names)} columns; the model takes "
                                                f"{model.n_features} features")
            self.names = names
        self._ignored: Dict[str, None] = {}
        self._lock = threading.Lock()

    @property
    def ignored(self) -> List[str]:
        with self._lock:
            return list(self._ignored)

    def table(self, columns: Optional[Sequence[str]], column_values: Sequence[Sequence[Any]]) -> List[int]:
        """Check a table given column by column; the indexes of the model's columns in it."""
        problems, ignored, pos = _signature.check(self.signature, columns, column_values)
        if problems:
            message = _signature.summary(problems)
            raise InputError(422, "INVALID_PARAMETER_VALUE", message, error=message, problems=problems)
        if ignored:
            with self._lock:
                self._ignored.update(dict.fromkeys(ignored))
        if columns is None:
            return list(range(len(self.names)))
        return [pos[n] for n in self.names]

    def rows(self, columns: Optional[Sequence[str]], rows: List[List[Any]]) -> List[List[Any]]:
        width = len(columns) if columns is not None else (len(rows[0]) if rows else len(self.names))
        if any(len(r) != width for r in rows):
            raise InputError(422, "INVALID_PARAMETER_VALUE", f"every row must have {width} values, one per column")
        order = self.table(columns, [[r[j] for r in rows] for j in range(width)])
        return [[r[j] for j in order] for r in rows]

    def json(self, payload: Any) -> Dict[str, Any]:
        """An MLflow scoring payload -> the same rows as a dataframe_split in the model's order."""
        if not isinstance(payload, dict):
            return payload
        keys = [k for k in PAYLOAD_KEYS if k in payload]
        if len(keys) != 1:
            return payload  # the model's parser says what is wrong
        columns, rows = _as_table(keys[0], payload[keys[0]], len(self.names))
        out: Dict[str, Any] = {"dataframe_split": {"columns": self.names, "data": self.rows(columns, rows)}}
        if "params" in payload:
            out["params"] = payload["params"]
        return out

    def csv(self, text: str) -> Dict[str, Any]:
        rows = [r for r in csv.reader(io.StringIO(text)) if r]
        columns: Optional[List[str]] = None
        if rows and not all(_is_number(c) for c in rows[0]):
            columns, rows = [c.strip() for c in rows[0]], rows[1:]
        return {"dataframe_split": {"columns": self.names, "data": self.rows(columns, rows)}}


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _as_table(key: str, data: Any, n_names: int) -> Any:
    """(column names or None, rows) of any payload form; malformed ones -> 400 as the model's parser says."""
    def bad(what: str) -> InputError:
        return InputError(400, "BAD_REQUEST", f"{key}: {what}")

    if key == "dataframe_split":
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise bad('expected {"columns": [...], "data": [[...], ...]}')
        columns, rows = data.get("columns"), data["data"]
        if columns is not None and not isinstance(columns, list):
            raise bad("columns must be a list")
        if columns is not None and len(columns) == 1 and rows and not isinstance(rows[0], list):
            rows = [[v] for v in rows]
        if not all(isinstance(r, list) for r in rows):
            raise bad("expected a list of rows (lists)")
        return columns, rows
    if isinstance(data, dict):  # a dict of columns
        columns = list(data)
        lists = [data[c] if isinstance(data[c], list) else [data[c]] for c in columns]
        if len({len(v) for v in lists}) > 1:
            raise InputError(422, "INVALID_PARAMETER_VALUE", f"{key}: columns have different lengths")
        return columns, [list(r) for r in zip(*lists)]
    if not isinstance(data, list):
        raise bad("expected a list of rows, a list of records or an object of columns")
    if data and all(isinstance(r, dict) for r in data):  # records: a key a record lacks is a null there
        columns = list(dict.fromkeys(k for r in data for k in r))
        return columns, [[r.get(c) for c in columns] for r in data]
    if data and not isinstance(data[0], list):
        data = [data] if n_names > 1 else [[v] for v in data]
    if not all(isinstance(r, list) for r in data):
        raise bad("expected a list of rows (lists) or of records (objects)")
    return None, data
