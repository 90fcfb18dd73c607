"""Search spaces, and the built-in samplers and pruner used when optuna is not installed (stdlib only).

A space is ``{name: distribution}`` where a distribution is one of (the JSON spec's format, also what the
journal records; optuna's distributions map onto it)::

    {"type": "float", "low": 1e-4, "high": 1.0, "log": true}          # or "step": 0.1
    {"type": "int", "low": 10, "high": 200, "step": 10}               # "log": true too
    {"type": "categorical", "choices": ["gini", "entropy"]}

Shorthands accepted by :func:`parse_space`: a list is a categorical, ``[low, high]`` tuples are not
guessed (be explicit).
"""
from __future__ import annotations

import math
import random
import threading
from typing import Any, Dict, List, Optional, Sequence

Distribution = Dict[str, Any]
Space = Dict[str, Distribution]

GRID_LIMIT = 100_000


class SpaceError(ValueError):
    """A search space (or one distribution of it) is not valid."""


def _num(name: str, key: str, d: Dict[str, Any]) -> float:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SpaceError(f"parameter {name!r}: {key!r} must be a finite number, got {v!r}")
    return v


def parse_distribution(name: str, d: Any) -> Distribution:
    """Validate and normalise one distribution (a list means categorical choices)."""
    if isinstance(d, (list, tuple)):
        d = {"type": "categorical", "choices": list(d)}
    if not isinstance(d, dict):
        raise SpaceError(f"parameter {name!r}: expected an object with a 'type', got {d!r}")
    kind = d.get("type")
    if kind == "categorical":
        choices = d.get("choices")
        if not isinstance(choices, (list, tuple)) or len(choices) == 0:
            raise SpaceError(f"parameter {name!r}: 'choices' must be a non-empty list")
        for c in choices:
            if c is not None and not isinstance(c, (bool, int, float, str)):
                raise SpaceError(f"parameter {name!r}: choices must be strings, numbers, booleans or null, got {c!r}")
        return {"type": "categorical", "choices": list(choices)}
    if kind not in ("float", "int"):
        raise SpaceError(f"parameter {name!r}: 'type' must be 'float', 'int' or 'categorical', got {kind!r}")
    low, high = _num(name, "low", d), _num(name, "high", d)
    log = bool(d.get("log", False))
    step = d.get("step")
    if kind == "int":
        if int(low) != low or int(high) != high:
            raise SpaceError(f"parameter {name!r}: an int range needs integer bounds")
        low, high = int(low), int(high)
        step = 1 if step is None else step
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise SpaceError(f"parameter {name!r}: an int step must be an integer >= 1")
    else:
        low, high = float(low), float(high)
        if step is not None:
            step = float(_num(name, "step", d))
            if step <= 0:
                raise SpaceError(f"parameter {name!r}: step must be > 0")
    if low > high:
        raise SpaceError(f"parameter {name!r}: low ({low}) > high ({high})")
    if log and low <= 0:
        raise SpaceError(f"parameter {name!r}: a log range needs low > 0")
    if log and step is not None and not (kind == "int" and step == 1):
        raise SpaceError(f"parameter {name!r}: log and step cannot be combined")
    out: Distribution = {"type": kind, "low": low, "high": high}
    if log:
        out["log"] = True
    if step is not None and not (kind == "int" and step == 1):
        out["step"] = step
    return out


def parse_space(space: Any) -> Space:
    if space is None:
        return {}
    if not isinstance(space, dict):
        raise SpaceError(f"the search space must be an object {{name: distribution}}, got {type(space).__name__}")
    return {str(k): parse_distribution(str(k), v) for k, v in space.items()}


def same_distribution(a: Distribution, b: Distribution) -> bool:
    return parse_distribution("?", a) == parse_distribution("?", b)


def contains(d: Distribution, value: Any) -> bool:
    if d["type"] == "categorical":
        return any(value == c and type(value) is type(c) for c in d["choices"])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return d["low"] <= value <= d["high"]


def grid_values(name: str, d: Distribution) -> List[Any]:
    """The grid of one dimension: choices, every int (by step), every float step."""
    if d["type"] == "categorical":
        return list(d["choices"])
    step = d.get("step", 1 if d["type"] == "int" else None)
    if step is None:
        raise SpaceError(f"parameter {name!r}: a grid needs a 'step' for a float range (or categorical choices)")
    n = int(math.floor((d["high"] - d["low"]) / step + 1e-9)) + 1
    if n > GRID_LIMIT:
        raise SpaceError(f"parameter {name!r}: {n} grid points is too many")
    if d["type"] == "int":
        return [int(d["low"] + i * step) for i in range(n)]
    return [_round_step(d["low"] + i * step, step) for i in range(n)]


def _round_step(v: float, step: float) -> float:
    """Cancel floating-point noise: 0.1 * 3 -> 0.3 (to the step's precision plus a margin)."""
    decimals = max(0, -int(math.floor(math.log10(step)))) + 8 if step < 1 else 8
    return round(v, decimals)


def grid_size(space: Space) -> int:
    n = 1
    for name, d in space.items():
        n *= len(grid_values(name, d))
    return n


# -- samplers ----------------------------------------------------------------------------------------

class RandomSampler:
    """Independent uniform sampling (log-uniform for log ranges); ``seed`` makes it reproducible."""

    name = "random"

    def __init__(self, seed: Optional[int] = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def sample(self, number: int, name: str, d: Distribution) -> Any:
        with self._lock:
            rng = self._rng
            if d["type"] == "categorical":
                return d["choices"][rng.randrange(len(d["choices"]))]
            low, high, step = d["low"], d["high"], d.get("step")
            if d["type"] == "int":
                step = step or 1
                if d.get("log"):
                    v = int(round(math.exp(rng.uniform(math.log(low - 0.5 if low > 0.5 else low), math.log(high + 0.5)))))
                    return min(high, max(low, v))
                return low + step * rng.randrange((high - low) // step + 1)
            if step is not None:
                return _round_step(low + step * rng.randrange(int(math.floor((high - low) / step + 1e-9)) + 1), step)
            if d.get("log"):
                return min(high, max(low, math.exp(rng.uniform(math.log(low), math.log(high)))))
            return rng.uniform(low, high)

    def exhausted(self, number: int) -> bool:
        return False


class GridSampler:
    """Every combination of the grid, in order (the last parameter varies fastest).

    With a declared space the grid is known up front. Without one it is discovered: trial 0 takes the
    first value of every parameter it suggests, which fixes the grid's dimensions (in order of first
    suggestion); trial k then takes combination k. A parameter first suggested later takes its first value.
    """

    name = "grid"

    def __init__(self, space: Optional[Space] = None, seed: Optional[int] = None) -> None:
        self._lock = threading.Lock()
        self._dims: List[tuple] = []  # (name, values)
        self._fixed = bool(space)
        for name, d in (space or {}).items():
            self._dims.append((name, grid_values(name, d)))

    @property
    def discovering(self) -> bool:
        return not self._fixed

    def size(self) -> Optional[int]:
        if not self._fixed:
            return None
        n = 1
        for _, values in self._dims:
            n *= len(values)
        return n

    def freeze(self) -> None:
        """After trial 0 (discovery): the dimensions seen so far are the grid."""
        with self._lock:
            self._fixed = True

    def sample(self, number: int, name: str, d: Distribution) -> Any:
        with self._lock:
            names = [n for n, _ in self._dims]
            if name not in names:
                values = grid_values(name, d)
                if not self._fixed:
                    self._dims.append((name, values))
                return values[0]
            combo = self._combination(number)
            return combo[name]

    def _combination(self, number: int) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        rest = number
        for name, values in reversed(self._dims):
            rest, i = divmod(rest, len(values))
            out[name] = values[i]
        return out

    def exhausted(self, number: int) -> bool:
        size = self.size()
        return size is not None and number >= size


def make_builtin_sampler(kind: str, space: Space, seed: Optional[int]) -> Any:
    if kind == "grid":
        return GridSampler(space, seed)
    return RandomSampler(seed)


# -- pruning -----------------------------------------------------------------------------------------

def parse_pruner(pruner: Any) -> Dict[str, Any]:
    """``"median"`` | ``"none"`` | ``"halving"`` | ``"hyperband"`` | ``{"type": ..., options}`` -> a dict."""
    if pruner is None or pruner is False:
        return {"type": "none"}
    if isinstance(pruner, str):
        pruner = {"type": pruner}
    if not isinstance(pruner, dict) or pruner.get("type") not in ("median", "none", "halving", "hyperband", "percentile"):
        raise SpaceError(f"pruner must be 'median', 'percentile', 'halving', 'hyperband' or 'none', got {pruner!r}")
    return dict(pruner)


class MedianPruner:
    """Prune a trial whose intermediate value at a step is worse than the median of the completed trials'
    values at that step (after ``n_startup_trials`` complete trials and ``n_warmup_steps`` steps), as
    optuna's MedianPruner does. Single objective only."""

    def __init__(self, direction: str, n_startup_trials: int = 5, n_warmup_steps: int = 0, percentile: float = 50.0) -> None:
        self.direction = direction
        self.n_startup_trials = int(n_startup_trials)
        self.n_warmup_steps = int(n_warmup_steps)
        self.percentile = float(percentile)

    def should_prune(self, intermediate: Dict[int, float], completed: Sequence[Dict[int, float]]) -> bool:
        if not intermediate or len(completed) < self.n_startup_trials:
            return False
        step = max(intermediate)
        if step < self.n_warmup_steps:
            return False
        value = intermediate[step]
        if value != value:
            return True
        others = sorted(v for c in completed for s, v in c.items() if s == step and v == v)
        if not others:
            return False
        p = self.percentile if self.direction == "minimize" else 100.0 - self.percentile
        k = (len(others) - 1) * p / 100.0
        lo, hi = int(math.floor(k)), int(math.ceil(k))
        ref = others[lo] + (others[hi] - others[lo]) * (k - lo)
        return value > ref if self.direction == "minimize" else value < ref


def builtin_pruner(spec: Dict[str, Any], direction: str) -> Optional[MedianPruner]:
    kind = spec.get("type")
    if kind == "none":
        return None
    opts = {k: spec[k] for k in ("n_startup_trials", "n_warmup_steps") if k in spec}
    if kind == "percentile":
        opts["percentile"] = spec.get("percentile", 25.0)
    return MedianPruner(direction, **opts)

