"""Process-wide runner state shared with the SDK: the run the runner started for the script (which the
first ``Experiment`` the script starts claims) and the channel to the extension (progress, events).

Without a runner (a script run with plain ``python``) nothing is set here and every helper is a no-op.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Protocol

from ._lifecycle import unregister
from ._metrics import to_float
from ._store import resolve_store

if TYPE_CHECKING:
    from ._experiment import Experiment, _Run
    from ._journal import Journal


class Listener(Protocol):
    """What the runner does when the SDK reports something (the runner forwards it to the extension)."""

    def on_claimed(self, exp: "Experiment", name: str) -> None: ...

    def on_progress(self, current: float, total: Optional[float], message: Optional[str]) -> None: ...

    def on_event(self, event: dict) -> None: ...

    def on_log(self, level: str, message: str) -> None: ...


class RunnerRun:
    """The run started by ``python -m mlwb run`` for the script, and who holds it now."""

    def __init__(self, exp: "Experiment", store: Path, listener: Optional[Listener]) -> None:
        assert exp.id is not None and exp._run is not None
        self.run_id: str = exp.id
        self.run: "_Run" = exp._run
        self.store = store
        self.owner: "Experiment" = exp  # the runner's own Experiment, then the one that claimed the run
        self.claimed = False
        self.listener = listener
        self.pid = os.getpid()


_lock = threading.Lock()
_current: Optional[RunnerRun] = None
_finishers: List[Callable[["Experiment"], None]] = []
_targets: List["Experiment"] = []  # runs a tracker API opened inside the script's run (MLflow nested runs), innermost last


def add_finisher(fn: Callable[["Experiment"], None]) -> None:
    """Run ``fn(holder)`` just before the runner's run ends (whoever ends it), while it is still open."""
    if fn not in _finishers:
        _finishers.append(fn)


def finishing(exp: "Experiment", run: "_Run") -> None:
    """Called by ``Experiment._finish`` before the final status is written."""
    rr = current()
    if rr is None or run.id != rr.run_id:
        return
    for fn in list(_finishers):
        try:
            fn(exp)
        except Exception as e:
            runner_log(f"could not finish {getattr(fn, '__qualname__', fn)}: {e!r}", "warn")


def offer(exp: "Experiment", store: Path, listener: Optional[Listener] = None) -> RunnerRun:
    """Called by the runner once its run is started: the first other ``Experiment`` started claims it."""
    global _current
    with _lock:
        _current = RunnerRun(exp, store, listener)
        return _current


def withdraw() -> None:
    """Forget the runner's run (the script has ended)."""
    global _current
    with _lock:
        _current = None
        _targets.clear()


def current() -> Optional[RunnerRun]:
    rr = _current
    return rr if rr is not None and rr.pid == os.getpid() else None


def claim(exp: "Experiment") -> "Optional[_Run]":
    """Hand the runner's still-open, unclaimed run to ``exp`` (called by ``Experiment.start``), or None.

    An experiment given an explicit ``root`` that resolves to another store does not claim: its runs
    belong in that store.
    """
    with _lock:
        rr = _current
        if rr is None or rr.claimed or rr.pid != os.getpid() or exp is rr.owner:
            return None
        if exp._root is not None and resolve_store(exp._root) != rr.store:
            return None
        owner = rr.owner
        with owner._lock:
            run = owner._run
            if run is None or run.id != rr.run_id or run.journal.closed:
                return None
            owner._run, owner._last = None, run
            unregister(owner)
        rr.owner = exp
        rr.claimed = True
        return run


def claimed(exp: "Experiment", name: str) -> None:
    """Tell the runner that ``exp`` now holds its run (after the ``claimed`` record is queued)."""
    rr = current()
    if rr is not None and rr.listener is not None:
        rr.listener.on_claimed(exp, name)


def owner() -> "Optional[Experiment]":
    """The experiment holding the runner's run while that run is open, else None."""
    rr = current()
    if rr is None:
        return None
    exp = rr.owner
    run = exp._run
    if run is None or run.id != rr.run_id or run.journal.closed:
        return None
    return exp


def push_target(exp: "Experiment") -> None:
    """Make ``exp`` (a run a tracker API opened, e.g. an MLflow nested run) where automatic logging goes while it is open."""
    with _lock:
        _targets.append(exp)


def pop_target(exp: "Experiment") -> None:
    with _lock:
        if exp in _targets:
            _targets.remove(exp)


def target() -> "Optional[Experiment]":
    """Where automatic logging (sklearn autolog, tracker adapters) writes: the innermost open run a tracker API
    pushed, else the runner's run (``owner()``)."""
    rr = current()
    if rr is None:
        return None
    for exp in reversed(list(_targets)):
        run = exp._run
        if run is not None and not run.journal.closed:
            return exp
    return owner()


def journal() -> "Optional[Journal]":
    """The journal of the runner's run while it is open."""
    rr = current()
    if rr is None or rr.run.journal.closed:
        return None
    return rr.run.journal


def progress(current: Any, total: Any = None, message: Optional[str] = None) -> None:
    """Report progress of the script to VS Code (a progress bar); a no-op when not run by the runner.

    Progress is transient: it is not written to the journal. Calls are cheap and throttled.

    Example:
        >>> import mlwb
        >>> for i, batch in enumerate(loader):
        ...     mlwb.progress(i + 1, len(loader), message="epoch 1")
    """
    cur = to_float("current", current)
    tot = to_float("total", total) if total is not None else None
    rr = _current
    if rr is None or rr.listener is None or rr.pid != os.getpid():
        return
    rr.listener.on_progress(cur, tot, None if message is None else str(message))


def send_event(kind: str, **data: Any) -> None:
    """Send a feature event (``run/event``: trial, tuningComplete, explainProgress...) to VS Code.

    Internal API for mlwb features; a no-op when not run by the runner.
    """
    rr = current()
    if rr is None or rr.listener is None:
        return
    rr.listener.on_event({"kind": kind, **data})


def runner_log(message: str, level: str = "info") -> None:
    """A runner-level message for VS Code's output (``run/log``), not the journal; no-op without a runner."""
    rr = current()
    if rr is None or rr.listener is None:
        return
    rr.listener.on_log(level, message)
