"""Run lifecycle plumbing: ``exp.run`` (context manager, decorator, manual) and process exit."""
from __future__ import annotations

import atexit
import functools
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Set, TypeVar

if TYPE_CHECKING:
    from ._experiment import Experiment

F = TypeVar("F", bound=Callable[..., Any])


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class RunManager:
    """``exp.run``: start and end runs as a context manager, a decorator, or by hand.

    Example:
        >>> with Experiment("alice/mnist/baseline").run as exp:   # completed, or failed on exception
        ...     exp.log("training")
        >>> @exp.run                                              # the function gets the experiment
        ... def train(exp, epochs=3): ...
        >>> exp.run.start(); exp.run.complete()                   # or fail(error) / cancel()
    """

    def __init__(self, exp: "Experiment") -> None:
        self._exp = exp

    def start(self) -> "Experiment":
        return self._exp.start()

    def complete(self) -> "Experiment":
        return self._exp.complete()

    def fail(self, error: "BaseException | str | None" = None) -> "Experiment":
        return self._exp.fail(error)

    def cancel(self) -> "Experiment":
        return self._exp.cancel()

    def __enter__(self) -> "Experiment":
        return self._exp.start()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        self._exp._close_for(exc)
        return False

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self as exp:
                return fn(exp, *args, **kwargs)

        return wrapper  # type: ignore[return-value]


# -- process exit ---------------------------------------------------------------------------
# Runs still open at exit (dxp, or a run started by hand and never ended) are flushed and ended:
# failed/cancelled when an exception escaped to the top level, else completed. A process killed
# by a signal runs none of this: the extension sees the stale heartbeat and shows it as crashed.

_open: Set["Experiment"] = set()
_unhandled: List[BaseException] = []
_hooks_pid: Optional[int] = None


def register(exp: "Experiment") -> None:
    global _hooks_pid
    _open.add(exp)
    if _hooks_pid != os.getpid():
        _hooks_pid = os.getpid()
        atexit.register(_at_exit)
        previous = sys.excepthook

        def hook(exc_type: Any, exc: BaseException, tb: Any) -> None:
            _unhandled.append(exc)
            previous(exc_type, exc, tb)

        sys.excepthook = hook


def unregister(exp: "Experiment") -> None:
    _open.discard(exp)


def _at_exit() -> None:
    if os.getpid() != _hooks_pid:
        return
    close_open(_unhandled[-1] if _unhandled else None)


def close_open(exc: Optional[BaseException]) -> None:
    """End every run still open in this process according to how the program ended (``exc``)."""
    for exp in list(_open):
        try:
            exp._close_for(exc)
        except Exception as e:  # one broken run must not keep the others open
            print(f"mlwb: could not close run {exp.id}: {e!r}", file=sys.stderr)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_open.clear)
