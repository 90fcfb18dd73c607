"""``exp.log`` / ``exp.logs``: leveled text messages with structured metadata."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from ._records import record

if TYPE_CHECKING:
    from ._experiment import Experiment

LEVELS = ("debug", "info", "warn", "error", "fatal")


def log_record(message: Any, level: str, metadata: Optional[Mapping[str, Any]], meta: Dict[str, Any]) -> Dict[str, Any]:
    """Validate and build a ``log`` record; an unknown level is a ``ValueError``."""
    lvl = level.lower() if isinstance(level, str) else level
    if lvl not in LEVELS:
        raise ValueError(f"invalid log level {level!r}: expected one of {', '.join(LEVELS)}")
    merged = {**(metadata or {}), **meta}
    rec = record("log", level=lvl, msg=str(message))
    if merged:
        rec["meta"] = merged
    return rec


class Logs:
    """One method per level.

    Example:
        >>> exp.logs.info("epoch done", epoch=1, loss=0.25)
        >>> exp.logs.error("could not load data", path="data.csv")
    """

    def __init__(self, exp: "Experiment") -> None:
        self._exp = exp

    def debug(self, message: Any, **meta: Any) -> None:
        self._exp.log(message, "debug", **meta)

    def info(self, message: Any, **meta: Any) -> None:
        self._exp.log(message, "info", **meta)

    def warn(self, message: Any, **meta: Any) -> None:
        self._exp.log(message, "warn", **meta)

    def error(self, message: Any, **meta: Any) -> None:
        self._exp.log(message, "error", **meta)

    def fatal(self, message: Any, **meta: Any) -> None:
        self._exp.log(message, "fatal", **meta)
