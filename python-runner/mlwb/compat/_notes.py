"""One-time notes of the tracker adapters, in the run's log (and VS Code's output).

- ``note``: what the adapter does in the library's place (a stand-in is in use, a call is mapped onto mlwb):
  an ``info`` record in the run's log; the script's own output is left alone.
- ``unsupported``: a call the adapter does not carry out, or carries out only in part: a ``warn`` record in
  the run's log and one line on the terminal's stderr, so nothing is dropped without a word.
"""
from __future__ import annotations

import sys
import threading
from typing import Set

from .. import _ambient
from .._capture import TeeStream
from .._journal import JournalClosed
from .._logs import log_record

_said: Set[str] = set()
_lock = threading.Lock()


def note(key: str, message: str) -> None:
    _once(key, message, "info")


def unsupported(key: str, message: str) -> None:
    if _once(key, message, "warn"):
        stream = sys.stderr
        if isinstance(stream, TeeStream):
            stream = stream.wrapped  # the log has the record already: do not capture it twice
        try:
            print(f"mlwb: {message}", file=stream, flush=True)
        except Exception:
            pass


def reset() -> None:
    """Forget what was said (a new run in this process says it again)."""
    with _lock:
        _said.clear()


def _once(key: str, message: str, level: str) -> bool:
    with _lock:
        if key in _said:
            return False
        _said.add(key)
    exp = _ambient.target()
    if exp is not None:
        try:
            exp._journal().add(log_record(f"mlwb: {message}", level, None, {"source": "mlwb.compat"}))
        except (JournalClosed, RuntimeError):
            pass
    _ambient.runner_log(message, level)
    return True
