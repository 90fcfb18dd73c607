"""Values as params: JSON-safe, stable from one run to the next, secrets masked."""
from __future__ import annotations

import enum
import os
import re
from typing import Any, Dict, Mapping

from .._secrets import MASK, looks_secret, redact

_REPR_CAP = 500
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def param_value(v: Any) -> Any:
    """A value as a param: numbers, strings, booleans and short lists as they are; anything else as text that is
    the same in two runs (``<function train>``, not its address) so Compare does not see a difference."""
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, str):
        return redact(v)
    if isinstance(v, enum.Enum):
        return v.name
    if isinstance(v, os.PathLike):
        return redact(os.fspath(v))
    if isinstance(v, (list, tuple)) and len(v) <= 50 and all(x is None or isinstance(x, (bool, int, float, str)) for x in v):
        return [redact(x) if isinstance(x, str) else x for x in v]
    if callable(v) and hasattr(v, "__qualname__"):
        return f"{getattr(v, '__module__', '')}.{v.__qualname__}".lstrip(".")
    name = getattr(v, "name", None)
    if isinstance(name, str) and hasattr(v, "read"):  # an open file (argparse.FileType)
        return redact(name)
    item = getattr(v, "item", None)
    if callable(item) and getattr(v, "ndim", None) == 0:  # a numpy scalar
        try:
            return param_value(item())
        except Exception:
            pass
    text = redact(_ADDRESS.sub("", repr(v)))
    return text if len(text) <= _REPR_CAP else text[:_REPR_CAP] + "..."


def masked_params(prefix: str, values: Mapping[str, Any], secret_keys: "set[str] | None" = None) -> Dict[str, Any]:
    """``{prefix + key: value}``; the value of a secret-looking key (``api_key``, ``db.password``) is ``***``."""
    out: Dict[str, Any] = {}
    for key, v in values.items():
        secret = looks_secret(key) or (secret_keys is not None and key in secret_keys)
        out[f"{prefix}{key}"] = MASK if secret and v is not None else param_value(v)
    return out
