"""JSON encoding for journal lines: compact, strict, and safe for ``JSON.parse`` on the TS side."""
from __future__ import annotations

import json
import math
from typing import Any, List

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def non_finite(x: float) -> Any:
    """Return ``x`` or, when it is NaN/±inf, the string the contract uses for it."""
    if x != x:
        return "NaN"
    return _NON_FINITE.get(x, x)


def decode_number(x: Any) -> float:
    """Inverse of :func:`non_finite` (``"NaN"`` -> ``nan``)."""
    return float(x)  # float("NaN"), float("Infinity") and float("-Infinity") all parse


def _default(o: Any) -> Any:
    # numpy/torch scalars and arrays, sets, paths...: keep the value when we can, else its text.
    if hasattr(o, "tolist"):
        try:
            return o.tolist()
        except Exception:
            pass
    if isinstance(o, (set, frozenset)):
        return sorted(o, key=repr)
    return str(o)


def sanitize(o: Any, depth: int = 0) -> Any:
    """Recursively replace non-finite floats by their strings (slow path only)."""
    if depth > 100:
        raise ValueError("value nested too deeply (circular reference?)")
    if isinstance(o, float):
        return non_finite(o)
    if isinstance(o, dict):
        return {str(k): sanitize(v, depth + 1) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [sanitize(v, depth + 1) for v in o]
    if o is None or isinstance(o, (str, int)):
        return o
    return sanitize(_default(o), depth + 1)


def dumps(obj: Any, indent: "int | None" = None) -> str:
    """Encode ``obj`` as strict JSON (no bare NaN); unknown objects become lists or strings."""
    sep = (",", ":") if indent is None else (",", ": ")
    try:
        return json.dumps(obj, separators=sep, indent=indent, allow_nan=False, default=_default)
    except ValueError:
        # Only reached when a non-finite float (or a cycle) is present.
        return json.dumps(sanitize(obj), separators=sep, indent=indent, allow_nan=False, default=_default)


def encode_values(values: List[float]) -> List[Any]:
    """Metric values with non-finite floats replaced; the list is returned as is when all are finite."""
    try:
        if math.isfinite(sum(values)):  # one C loop; NaN/inf anywhere (or an overflow) makes it non-finite
            return values
    except OverflowError:
        pass
    return [non_finite(x) for x in values]
