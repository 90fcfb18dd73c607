"""``exp.metrics``: time series of numbers, buffered in columns and flushed in batches."""
from __future__ import annotations

import json
import math
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple

from ._encode import decode_number
from ._metricbatch import Signature

if TYPE_CHECKING:
    from ._experiment import Experiment

_Point = Tuple[str, float]
_now = time.time
_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")


def to_float(key: str, v: Any) -> float:
    """Accept int/float/bool, numpy scalars and one-element tensors; anything else is a TypeError."""
    if isinstance(v, (str, bytes)):
        raise TypeError(f"metric {key!r} must be a number, got {type(v).__name__} {v!r}")
    try:
        return float(v)
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(
            f"metric {key!r} must be a number (int, float, bool, numpy scalar or 0-d tensor), "
            f"got {type(v).__name__}: {e}"
        ) from None


def _check_step(step: Any) -> Optional[float]:
    if step is None:
        return None
    s = to_float("step", step)
    if not math.isfinite(s):
        raise ValueError(f"step must be finite, got {step!r}")
    return int(s) if s.is_integer() else s


def _points(prefix: str, values: Mapping[str, Any]) -> Iterator[_Point]:
    """Yield ``(key, value)``; nested mappings are groups: ``train={"loss": 1}`` -> ``train/loss``."""
    for name, v in values.items():
        key = f"{prefix}/{name}" if prefix else str(name)
        if type(v) is float:
            yield key, v
        elif isinstance(v, Mapping):
            yield from _points(key, v)
        else:
            yield key, to_float(key, v)


def aggregate(name: str, xs: List[float]) -> float:
    """One summary statistic of ``xs``: mean, std (population), min, max, count or pNN."""
    n = len(xs)
    if name == "count":
        return float(n)
    if name == "mean":
        return math.fsum(xs) / n
    if name == "std":
        mean = math.fsum(xs) / n
        return math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / n)
    if name == "min":
        return min(xs)
    if name == "max":
        return max(xs)
    m = _PERCENTILE.match(name)
    if not m or float(m.group(1)) > 100:
        raise ValueError(f"unknown aggregation {name!r}: use mean, std, min, max, count or p0..p100")
    s = sorted(xs)
    pos = (n - 1) * float(m.group(1)) / 100  # linear interpolation, like numpy's default
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


class SummaryBuffer:
    """Per-batch values kept in memory until :meth:`log_summary` turns them into statistics.

    Example:
        >>> for batch in loader:
        ...     exp.metrics("train").buffer(loss=step(batch))
        >>> exp.metrics.buffer.log_summary("mean", "std", "p95", epoch=epoch)  # train/loss.mean, ...
    """

    def __init__(self, metrics: "Metrics") -> None:
        self._metrics = metrics
        self._values: Dict[str, List[float]] = {}

    def __call__(self, **values: Any) -> None:
        """Buffer values; nested dicts are groups, as in :meth:`Metrics.log`."""
        self._add("", values)

    def _add(self, prefix: str, values: Mapping[str, Any]) -> None:
        for key, v in _points(prefix, values):
            self._values.setdefault(key, []).append(v)

    def log_summary(self, *aggregations: str, step: Any = None, epoch: Any = None) -> None:
        """Log ``<key>.<aggregation>`` for every buffered key, then clear the buffer.

        Aggregations: ``mean`` (default), ``std`` (population), ``min``, ``max``, ``count``, ``p50``...
        """
        aggs = aggregations or ("mean",)
        for a in aggs:
            aggregate(a, [0.0])  # validate every name before logging anything
        items = [(f"{key}.{a}", aggregate(a, xs)) for key, xs in self._values.items() if xs for a in aggs]
        if items:
            x = step if step is not None else epoch
            self._metrics._append(items, _check_step(x))
        self._values.clear()


class MetricBuilder:
    """Metrics under one prefix: ``exp.metrics("train").log(loss=0.5)`` logs ``train/loss``.

    Example:
        >>> train = exp.metrics("train")
        >>> for step in range(100):
        ...     train.log(step=step, loss=1 / (step + 1), acc=step / 100)
        >>> exp.metrics("train/loss").stats()["lastValue"]
        0.01
    """

    __slots__ = ("_metrics", "_prefix", "_sigs")

    def __init__(self, metrics: "Metrics", prefix: str) -> None:
        self._metrics = metrics
        self._prefix = prefix
        self._sigs: Dict[Tuple[str, ...], Signature] = {}  # names -> full keys, so the hot path does no formatting

    def log(self, step: Any = None, **values: Any) -> "MetricBuilder":
        """Log one point per value, all at ``step`` (or ``epoch``); without either each key counts up from 0."""
        # Hot path: a few type checks, one tuple, one dict lookup, one journal row (see bench/bench_sdk.py).
        if step is None:
            if "epoch" in values:
                step = _check_step(values.pop("epoch"))
        elif type(step) is not int:
            step = _check_step(step)
        row = values.values()
        for v in row:
            if type(v) is not float:
                self._metrics._append(list(_points(self._prefix, values)), step)
                return self
        names = tuple(values)
        sig = self._sigs.get(names)
        if sig is None:
            p = self._prefix
            sig = self._sigs[names] = Signature(tuple(f"{p}/{n}" if p else n for n in names))
        exp = self._metrics._exp
        run = exp._run  # exp._journal(), inlined
        (run.journal if run is not None else exp._journal()).append_row(sig, row, step, _now())
        return self

    def buffer(self, **values: Any) -> None:
        """Keep values in memory for :meth:`SummaryBuffer.log_summary` (``exp.metrics.buffer``)."""
        self._metrics.buffer._add(self._prefix, values)

    def flush(self) -> "MetricBuilder":
        """Write pending points now; returns ``self``."""
        self._metrics.flush()
        return self

    def read(self, start_index: int = 0, limit: int = 100) -> Dict[str, Any]:
        """The points logged under this builder's prefix, ``limit`` at a time, as ML-Dash returns them.

        A prefix (``metrics("train")``, whose keys are ``train/loss``, ``train/acc``...): one point per
        ``log()`` call, ``{"index", "data": {"loss": 0.5, "acc": 0.8}, "step", "time", "createdAt"}`` (the
        fields logged together, named without the prefix). A series itself (``metrics("train/loss")``):
        ``{"step", "value", "time", "index"}`` per point. Both return ``{"data", "startIndex", "endIndex",
        "total", "hasMore"}``; ``endIndex`` is exclusive, i.e. the ``start_index`` of the next page.
        """
        start = max(0, int(start_index))
        group = self._metrics._group(self._prefix)
        if group is not None:
            end = min(len(group), start + max(0, int(limit)))
            data = [{"index": i, "data": dict(group[i]["data"]), "step": group[i]["step"], "time": group[i]["time"],
                     "createdAt": _iso(group[i]["time"])} for i in range(start, end)]
            total = len(group)
        else:
            steps, vals, times = self._metrics._series(self._prefix)
            end = min(len(steps), start + max(0, int(limit)))
            data = [{"step": steps[i], "value": vals[i], "time": times[i], "index": i} for i in range(start, end)]
            total = len(steps)
        return {"data": data, "startIndex": start, "endIndex": max(start, end), "total": total, "hasMore": end < total}

    def stats(self) -> Dict[str, Any]:
        """A series: ``{"count", "firstValue", "lastValue", "min", "max", "mean"}`` (min/max/mean ignore NaN).

        A prefix: ``{"name", "count", "totalDataPoints", "firstValue", "lastValue"`` (the first and last points'
        fields), ``"firstDataAt", "lastDataAt"`` (ISO times), ``"fields": {name: <a series' stats>}}``.
        """
        group = self._metrics._group(self._prefix)
        if group is None:
            return _value_stats(self._metrics._series(self._prefix)[1])
        fields: Dict[str, List[float]] = {}
        for point in group:
            for name, v in point["data"].items():
                fields.setdefault(name, []).append(v)
        return {
            "name": self._prefix, "count": len(group), "totalDataPoints": len(group),
            "firstValue": dict(group[0]["data"]), "lastValue": dict(group[-1]["data"]),
            "firstDataAt": _iso(group[0]["time"]), "lastDataAt": _iso(group[-1]["time"]),
            "fields": {name: _value_stats(vals) for name, vals in fields.items()},
        }


def _value_stats(vals: List[float]) -> Dict[str, Any]:
    real = [v for v in vals if v == v]
    return {
        "count": len(vals),
        "firstValue": vals[0] if vals else None,
        "lastValue": vals[-1] if vals else None,
        "min": min(real) if real else None,
        "max": max(real) if real else None,
        "mean": math.fsum(real) / len(real) if real else None,
    }


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def group_points(prefix: str, columns: Mapping[str, Tuple[List[Any], List[float], List[float]]]) -> List[Dict[str, Any]]:
    """The points of the keys under ``prefix/`` as they were logged: values of one ``log()`` call share its time
    and step, so they form one point ``{"data": {field: value}, "step", "time"}``, in logging order."""
    cut = len(prefix) + 1
    flat = [(times[i], steps[i], n, key[cut:], vals[i])
            for n, (key, (steps, vals, times)) in enumerate(columns.items()) for i in range(len(steps))]
    flat.sort(key=lambda p: (p[0], p[2]))  # by time, then key order: stable within one call
    points: List[Dict[str, Any]] = []
    for t, step, _n, field, v in flat:
        last = points[-1] if points else None
        if last is None or last["time"] != t or last["step"] != step or field in last["data"]:
            last = {"data": {}, "step": step, "time": t}
            points.append(last)
        last["data"][field] = v
    return points


class Metrics:
    """``exp.metrics``: call it with a prefix for a :class:`MetricBuilder`, or log grouped values.

    Example:
        >>> exp.metrics.log(epoch=1, train=dict(loss=0.3, acc=0.9), eval=dict(loss=0.4))
        >>> exp.metrics.log(lr=1e-3).flush()  # no step: "lr" counts its own steps from 0
    """

    def __init__(self, exp: "Experiment") -> None:
        self._exp = exp
        self._builders: Dict[str, MetricBuilder] = {}
        self._root = MetricBuilder(self, "")
        self._reader: Optional[_SeriesReader] = None
        self._groups: Dict[str, Tuple[Tuple[int, ...], List[Dict[str, Any]]]] = {}
        self.buffer = SummaryBuffer(self)

    def __call__(self, prefix: str) -> MetricBuilder:
        b = self._builders.get(prefix)
        if b is None:
            if not isinstance(prefix, str) or not prefix.strip("/"):
                raise ValueError(f"metric prefix must be a non-empty string, got {prefix!r}")
            b = self._builders[prefix] = MetricBuilder(self, prefix.strip("/"))
        return b

    def log(self, step: Any = None, **values: Any) -> "Metrics":
        """Log values (dict values are groups: ``train=dict(loss=1)`` -> ``train/loss``) at ``step``/``epoch``."""
        self._root.log(step, **values)
        return self

    def flush(self) -> "Metrics":
        """Write everything pending (metrics, logs, params...) to the journal now; returns ``self``."""
        self._exp.flush()
        return self

    def _append(self, items: List[_Point], step: Optional[float]) -> None:
        if items:
            self._exp._journal().append_points(items, step, time.time())

    def _series(self, key: str) -> Tuple[List[Any], List[float], List[float]]:
        reader = self._read()
        return reader.get(key) if reader is not None else ([], [], [])

    def _group(self, prefix: str) -> Optional[List[Dict[str, Any]]]:
        """The points logged under ``prefix/`` (see :func:`group_points`), or None when no key is under it."""
        reader = self._read()
        columns = reader.under(prefix) if reader is not None else {}
        if not columns:
            return None
        size = tuple(len(c[0]) for c in columns.values())
        cached = self._groups.get(prefix)
        if cached is None or cached[0] != size:  # grouped again only when points were added
            cached = self._groups[prefix] = (size, group_points(prefix, columns))
        return cached[1]

    def _read(self) -> Optional["_SeriesReader"]:
        path = self._exp._events_path()
        if path is None:
            return None
        self._exp.flush()
        if self._reader is None or self._reader.path != path:
            self._reader = _SeriesReader(path)
            self._groups = {}
        return self._reader


class _SeriesReader:
    """Incremental reader of the ``metrics`` records of one journal (only new bytes are parsed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._cols: Dict[str, Tuple[List[Any], List[float], List[float]]] = {}

    def get(self, key: str) -> Tuple[List[Any], List[float], List[float]]:
        self._refresh()
        return self._cols.get(key, ([], [], []))

    def under(self, prefix: str) -> Dict[str, Tuple[List[Any], List[float], List[float]]]:
        """The series of the keys under ``prefix/``, in the order they first appeared."""
        self._refresh()
        head = prefix + "/"
        return {k: c for k, c in self._cols.items() if k.startswith(head)}

    def _refresh(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1  # a torn last line waits for the next read
        self._offset += end
        for line in data[:end].splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("t") != "metrics":
                continue
            for key, c in rec.get("series", {}).items():
                cols = self._cols.setdefault(key, ([], [], []))
                cols[0].extend(c["step"])
                cols[1].extend(decode_number(v) for v in c["value"])
                cols[2].extend(c["time"])
