"""What the capture hooks may spend, and the one-time notes they leave in the run's log.

The hooks' optional work (rendering a figure, computing a report again as a dict, saving a model file) may
cost at most ``FRACTION`` of the time the script has run plus ``ALLOWANCE_S``, the pattern of autolog's budget:
a script that draws a few figures gets all of them; one that renders hundreds in a loop gets them until the
budget is spent, and the run's log says what was left out. Cheap bookkeeping (a metric point, a params record)
is always done, and timed too, so ``spent`` is the hooks' whole cost. What they spend also counts against
autolog's budget, so the optional work of both stays within one few-% budget.
"""
from __future__ import annotations

import sys
import time
from typing import Set

from .. import _ambient, _autolog

FRACTION = 0.03
ALLOWANCE_S = 2.0


class Budget:
    def __init__(self, fraction: float = FRACTION, allowance_s: float = ALLOWANCE_S) -> None:
        self.fraction = fraction
        self.allowance_s = allowance_s
        self.started = time.perf_counter()
        self.spent = 0.0

    def ok(self) -> bool:
        """Whether more optional work still fits."""
        return self.spent <= self.fraction * (time.perf_counter() - self.started) + self.allowance_s

    def add(self, seconds: float) -> None:
        self.spent += seconds
        _autolog.spent_elsewhere(seconds)  # one budget: autolog's training scores and saves back off meanwhile


budget = Budget()
_noted: Set[str] = set()


def reset() -> None:
    """A fresh budget for a new run of the hooks (``install``); the hooks hold this very object."""
    budget.started = time.perf_counter()
    budget.spent = 0.0
    _noted.clear()


def note_once(key: str, message: str, level: str = "info") -> None:
    """Say ``message`` once per run in VS Code's output (``run/log``); warnings go to stderr as well."""
    if key in _noted:
        return
    _noted.add(key)
    _ambient.runner_log(f"capture: {message}", level)
    if level == "warn":
        print(f"mlwb: capture: {message}", file=sys.stderr)
