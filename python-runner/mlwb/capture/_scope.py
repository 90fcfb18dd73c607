"""Top-level calls only: a metric computed inside a fit, a search, a cross-validation or another captured
call (``score()`` calls ``accuracy_score``; a Pipeline's ``predict`` its last step's) is not logged again.

autolog counts the fits and cross-validation helpers in progress (:func:`mlwb._autolog.nested`); this module
counts the captured calls in progress in this thread.
"""
from __future__ import annotations

import threading

from .. import _autolog

_local = threading.local()


def nested() -> bool:
    """True inside a fit / cross-validation anywhere, or inside a captured call in this thread."""
    return _autolog.nested() or getattr(_local, "depth", 0) > 0


def enter() -> None:
    _local.depth = getattr(_local, "depth", 0) + 1


def leave() -> None:
    _local.depth -= 1
