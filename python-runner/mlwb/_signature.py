"""Model signatures: the input columns a model takes (name, type, nullability, categories seen), inferred
from a table, and enforced on what a server or a batch prediction is given.

    {"format": 1, "columns": [{"name", "type", "nullable", "categories"?}], "source": "training data"}

Types: integer, float, boolean, string, category (text with few distinct values: the ones seen are listed),
datetime (ISO 8601 text). ``problems(signature, columns, rows)`` lists, per column, what is wrong with a
table (missing, wrong type, null where none was seen); columns the signature does not name are ignored (and
returned, for ``/metadata``). numpy is optional: pandas frames, numpy arrays and lists of rows all work.
"""
from __future__ import annotations

import datetime
import json
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

FORMAT = 1
TYPES = ("integer", "float", "boolean", "string", "category", "datetime")
SOURCES = ("training data", "evaluation data")
MAX_CATEGORIES = 20  # more distinct texts than this (or than half the rows) is a string column
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


class SignatureError(ValueError):
    pass


# -- inference -------------------------------------------------------------------------------------

def _is_null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() == "") \
        or type(v).__name__ in ("NaTType", "NAType")


def _is_datetime_text(s: str) -> bool:
    s = s.strip()
    if len(s) < 8 or not s[:4].isdigit() or s[4] != "-":
        return False
    try:
        datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _text_type(values: List[str], n_rows: int) -> Dict[str, Any]:
    if values and all(_is_datetime_text(v) for v in values):
        return {"type": "datetime"}
    distinct = sorted(set(values))
    if distinct and len(distinct) <= MAX_CATEGORIES and len(distinct) <= max(1, n_rows // 2):
        return {"type": "category", "categories": distinct}
    return {"type": "string"}


def _number_type(values: List[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) or (isinstance(v, float) and v.is_integer()) for v in values) and \
            not any(isinstance(v, float) for v in values):
        return "integer"
    return "float"


def infer_column(name: str, values: Sequence[Any], dtype: Optional[str] = None) -> Dict[str, Any]:
    """One column from its values (and, when it comes from pandas/numpy, its dtype's kind)."""
    col: Dict[str, Any] = {"name": str(name)}
    if dtype in ("i", "u", "b", "f") and hasattr(values, "dtype"):  # numbers from numpy/pandas: no loop
        import numpy as np

        col["type"] = {"i": "integer", "u": "integer", "b": "boolean", "f": "float"}[dtype]
        col["nullable"] = bool(dtype == "f" and np.isnan(values).any())
        return col
    cells = [_scalar(v) for v in values]
    present = [v for v in cells if not _is_null(v)]
    if dtype == "category":
        col.update(type="category", categories=sorted({str(v) for v in present}))
    elif dtype in ("M", "datetime"):
        col["type"] = "datetime"
    elif dtype == "b":
        col["type"] = "boolean"
    elif dtype in ("i", "u"):
        col["type"] = "integer"
    elif dtype == "f":
        col["type"] = "float"
    elif present and all(isinstance(v, (int, float)) for v in present):
        col["type"] = _number_type(present)
    elif all(isinstance(v, str) for v in present):
        col.update(_text_type(present, len(cells)))
    else:
        col["type"] = "string"
    col["nullable"] = len(present) < len(cells)
    return col


def _scalar(v: Any) -> Any:
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) and getattr(v, "ndim", 0) == 0 else v


def infer(X: Any, source: str = "training data") -> Dict[str, Any]:
    """The signature of a pandas DataFrame (its columns and dtypes), a 2-D numpy array (columns f0..fn) or
    a list of rows (f0..fn)."""
    if source not in SOURCES:
        raise SignatureError(f"source must be one of {', '.join(SOURCES)}")
    columns = []
    if hasattr(X, "columns") and hasattr(X, "dtypes"):  # a DataFrame
        for name in X.columns:
            s = X[name]
            kind = "category" if str(s.dtype) == "category" else getattr(s.dtype, "kind", "O")
            columns.append(infer_column(name, s.tolist() if kind == "O" or kind == "category" else s.to_numpy(), kind))
    else:
        shape = getattr(X, "shape", None)
        kind = getattr(getattr(X, "dtype", None), "kind", "O")
        rows = X if shape is not None else [list(r) for r in X]
        width = shape[1] if shape is not None and len(shape) == 2 else (len(rows[0]) if len(rows) else 0)
        for j in range(width):
            values = X[:, j] if shape is not None else [r[j] for r in rows]
            columns.append(infer_column(f"f{j}", list(values) if kind == "O" else values, kind))
    return {"format": FORMAT, "columns": columns, "source": source}


def infer_csv(path: str, target: Optional[str] = None, source: str = "evaluation data") -> Dict[str, Any]:
    """The signature of a CSV's columns (but the target), read as pandas reads it when installed."""
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:
        try:
            df = pd.read_csv(path)
        except FileNotFoundError:
            raise SignatureError(f"data file not found: {path}") from None
        except Exception as e:
            raise SignatureError(f"could not read {path} as CSV: {e}") from None
        if target is not None:
            if target not in df.columns:
                raise SignatureError(f"target column {target!r} is not in the CSV (columns: {', '.join(map(str, df.columns))})")
            df = df.drop(columns=[target])
        return infer(df, source)
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r]
    except OSError as e:
        raise SignatureError(f"could not read {path}: {e.strerror or e}") from None
    if not rows:
        raise SignatureError(f"{path} is empty")
    header, body = rows[0], rows[1:]
    if target is not None and target not in header:
        raise SignatureError(f"target column {target!r} is not in the CSV (columns: {', '.join(header)})")
    columns = []
    for j, name in enumerate(header):
        if name != target:
            values = [_parse_cell(r[j]) if j < len(r) else None for r in body]
            columns.append(infer_column(name, values))
    return {"format": FORMAT, "columns": columns, "source": source}


def _parse_cell(s: str) -> Any:
    if s.strip() == "":
        return None
    for cast in (int, float):
        try:
            return cast(s)
        except ValueError:
            pass
    return s


# -- reading a signature file ----------------------------------------------------------------------

def load(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            sig = json.load(f)
    except OSError as e:
        raise SignatureError(f"could not read the signature {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise SignatureError(f"the signature {path} is not JSON: {e}") from None
    return validate(sig)


def validate(sig: Any) -> Dict[str, Any]:
    if not isinstance(sig, dict) or sig.get("format") != FORMAT or not isinstance(sig.get("columns"), list):
        raise SignatureError('a signature is {"format": 1, "columns": [{"name", "type", "nullable"}, ...]}')
    seen = set()
    for i, c in enumerate(sig["columns"]):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or c.get("type") not in TYPES:
            raise SignatureError(f"signature column {i}: needs a name and a type ({', '.join(TYPES)})")
        if c["name"] in seen:
            raise SignatureError(f"signature column {c['name']!r} is listed twice")
        seen.add(c["name"])
        if not isinstance(c.get("nullable", False), bool):
            raise SignatureError(f"signature column {c['name']!r}: nullable must be true or false")
    return sig


# -- enforcement -----------------------------------------------------------------------------------

def _value_problem(kind: str, v: Any) -> Optional[str]:
    """None when ``v`` (not null) is a value of ``kind``; else what it is instead. Text that spells a value of
    the type (as CSV cells do) counts as that value."""
    if kind == "string" or kind == "category":
        return None if isinstance(v, str) else f"{_describe(v)} where text was expected"
    if kind == "boolean":
        if isinstance(v, bool) or v in (0, 1) or (isinstance(v, str) and v.strip().lower() in _TRUE + _FALSE):
            return None
        return f"{_describe(v)} is not a boolean"
    if kind == "datetime":
        if isinstance(v, (datetime.date, datetime.datetime)) or (isinstance(v, str) and _is_datetime_text(v)):
            return None
        return f"{_describe(v)} is not an ISO 8601 date/time"
    if isinstance(v, bool):
        return f"{_describe(v)} is not a number"
    number: Optional[float]
    if isinstance(v, (int, float)):
        number = float(v)
    elif isinstance(v, str):
        try:
            number = float(v)
        except ValueError:
            number = None
    else:
        number = None
    if number is None:
        return f"{_describe(v)} is not a number"
    if kind == "integer" and not (math.isfinite(number) and number.is_integer()):
        return f"{_describe(v)} is not an integer"
    return None


def _describe(v: Any) -> str:
    text = repr(v) if isinstance(v, str) else json.dumps(v) if isinstance(v, (bool, int, float)) else type(v).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _column_problem(col: Dict[str, Any], values: Sequence[Any]) -> Optional[str]:
    kind = col["type"]
    if kind in ("integer", "float") and hasattr(values, "dtype") and values.dtype.kind in "iuf":
        return _numeric_array_problem(col, values)
    bad, first, nulls, first_null = 0, None, 0, None
    for i, raw in enumerate(values):
        v = _scalar(raw)
        if _is_null(v):
            nulls += 1
            first_null = i if first_null is None else first_null
            continue
        why = _value_problem(kind, v)
        if why is not None:
            bad += 1
            if first is None:
                first = (i, why)
    if first is not None:
        more = f" ({bad} rows)" if bad > 1 else ""
        return f"expected {kind}: row {first[0] + 1}: {first[1]}{more}"
    if nulls and not col.get("nullable", False):
        return f"null in row {first_null + 1} ({nulls} rows), and the column is not nullable"
    return None


def _numeric_array_problem(col: Dict[str, Any], values: Any) -> Optional[str]:
    import numpy as np

    a = np.asarray(values, dtype=np.float64)
    null = np.isnan(a)
    if col["type"] == "integer":
        bad = ~null & ~(np.isfinite(a) & (np.mod(a, 1) == 0))
        if bad.any():
            i = int(np.argmax(bad))
            more = f" ({int(bad.sum())} rows)" if bad.sum() > 1 else ""
            return f"expected integer: row {i + 1}: {_describe(float(a[i]))} is not an integer{more}"
    if null.any() and not col.get("nullable", False):
        return f"null in row {int(np.argmax(null)) + 1} ({int(null.sum())} rows), and the column is not nullable"
    return None


def check(sig: Dict[str, Any], columns: Optional[Sequence[str]], column_values: Sequence[Sequence[Any]]
          ) -> Tuple[List[Dict[str, str]], List[str], Dict[str, int]]:
    """(problems [{column, problem}], ignored column names, where each column is in the given ones).
    ``columns`` None: the values are positional, in the signature's order."""
    wanted = [c["name"] for c in sig["columns"]]
    if columns is None:
        if len(column_values) != len(wanted):
            return ([{"column": "*", "problem": f"{len(column_values)} values per row without column names; the "
                      f"signature has {len(wanted)} columns ({', '.join(wanted)})"}], [], {})
        columns = wanted
    columns = [str(c) for c in columns]
    pos = {c: i for i, c in enumerate(columns)}
    problems: List[Dict[str, str]] = []
    for col in sig["columns"]:
        i = pos.get(col["name"])
        if i is None:
            problems.append({"column": col["name"], "problem": "missing"})
            continue
        why = _column_problem(col, column_values[i])
        if why is not None:
            problems.append({"column": col["name"], "problem": why})
    known = set(wanted)
    return problems, [c for c in columns if c not in known], pos


def summary(problems: List[Dict[str, str]]) -> str:
    shown = "; ".join(f"{p['column']}: {p['problem']}" for p in problems[:5])
    return f"the input does not match the model's signature ({len(problems)} problem(s)): {shown}" + \
        (" ..." if len(problems) > 5 else "")


# -- the CLI: python -m mlwb signature --data CSV [--target COL] ----------------------------------

def main(argv: List[str]) -> int:
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m mlwb signature", description=(
        "Print the signature (column names, types, nullability, categories seen) of a CSV's columns as JSON."))
    p.add_argument("--data", required=True, help="CSV with a header row")
    p.add_argument("--target", help="the label column, left out of the signature")
    p.add_argument("--source", choices=("training", "evaluation"), default="evaluation",
                   help='what the CSV is: "evaluation" (default) or "training" data')
    args = p.parse_args(argv)
    try:
        sig = infer_csv(args.data, args.target, f"{args.source} data")
    except SignatureError as e:
        sys.stderr.write(f"mlwb signature: error: {e}\n")
        return 2
    sys.stdout.write(json.dumps(sig) + "\n")
    return 0
