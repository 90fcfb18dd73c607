"""Pending metric points, kept as rows of calls and encoded into one ``metrics`` journal record.

A call of ``log`` becomes one row of a block: a block holds consecutive calls logging the same keys
(a ``Signature``), so logging costs two list appends and one extend whatever the number of values,
and the flush encodes each call's step and time once for all its keys. A key's points stay in order:
a block is closed as soon as a block with another signature takes one of its keys.

The record is the same as ever: ``{"v", "t": "metrics", "ts", "series": {key: {"step", "value", "time"}}}``.
"""
from __future__ import annotations

import json
import math
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ._encode import dumps, encode_values


class Signature:
    """The keys one call logs, in order (identity-hashed: a builder keeps one per set of names)."""

    __slots__ = ("keys", "unique")

    def __init__(self, keys: Tuple[str, ...]) -> None:
        self.keys = keys
        self.unique = len(set(keys)) == len(keys)  # a key twice in one call: one row per block


class Block:
    __slots__ = ("sig", "steps", "times", "values")

    def __init__(self, sig: Signature) -> None:
        self.sig = sig
        self.steps: List[Optional[float]] = []  # None: that key's previous step + 1
        self.times: List[float] = []
        self.values: List[float] = []  # row after row, len(sig.keys) values each


class PendingMetrics:
    """Blocks since the last flush. Not thread-safe: the journal holds its lock around every call."""

    __slots__ = ("blocks", "open", "by_key", "sigs")

    def __init__(self) -> None:
        self.blocks: List[Block] = []
        self.open: Dict[Signature, Block] = {}
        self.by_key: Dict[str, Block] = {}  # the open block holding each key
        self.sigs: Dict[Tuple[str, ...], Signature] = {}  # for callers that pass keys rather than a Signature

    def __bool__(self) -> bool:
        return bool(self.blocks)

    def add(self, sig: Signature, values: Iterable[float], step: Optional[float], t: float) -> None:
        """(``Journal.append_row`` inlines this: it is the hot path.)"""
        block = self.open.get(sig)
        if block is None:
            block = self.open_block(sig)
        block.steps.append(step)
        block.times.append(t)
        block.values.extend(values)

    def add_points(self, items: Iterable[Tuple[str, float]], step: Optional[float], t: float) -> None:
        pairs = list(items)
        keys = tuple(k for k, _ in pairs)
        sig = self.sigs.get(keys)
        if sig is None:
            sig = self.sigs[keys] = Signature(keys)
        self.add(sig, [v for _, v in pairs], step, t)

    def open_block(self, sig: Signature) -> Block:
        for key in sig.keys:
            other = self.by_key.get(key)
            if other is not None:
                self._close(other)
        block = Block(sig)
        self.blocks.append(block)
        if sig.unique:
            self.open[sig] = block
            for key in sig.keys:
                self.by_key[key] = block
        return block

    def _close(self, block: Block) -> None:
        del self.open[block.sig]
        for key in block.sig.keys:
            if self.by_key.get(key) is block:
                del self.by_key[key]


def _steps_of(steps: List[Optional[float]], key: str, last: Dict[str, float]) -> List[Any]:
    out: List[Any] = []
    prev = last.get(key, -1)
    for s in steps:
        prev = prev + 1 if s is None else s
        out.append(prev)
    last[key] = prev
    return out


def _values_text(values: List[float]) -> str:
    try:
        if math.isfinite(sum(values)):  # one C loop; NaN/inf anywhere (or an overflow) makes it non-finite
            return ",".join(map(float.__repr__, values))
    except OverflowError:
        pass
    return dumps(encode_values(values))[1:-1]


def metrics_record(blocks: List[Block], last: Dict[str, float], version: int, ts: float) -> List[str]:
    """One journal line (with its newline) for the blocks, as pieces to join ([] if they hold no point);
    ``last`` carries each key's last step from flush to flush."""
    parts: Dict[str, Tuple[List[str], List[str], List[str]]] = {}
    for block in blocks:
        keys = block.sig.keys
        k = len(keys)
        if not k:
            continue
        steps = block.steps
        times = ",".join(map(float.__repr__, block.times))
        shared = None if None in steps else ",".join(map(repr, steps))
        for j, key in enumerate(keys):
            if shared is None:
                step_text = ",".join(map(repr, _steps_of(steps, key, last)))
            else:
                step_text = shared
                last[key] = steps[-1]  # type: ignore[assignment]
            p = parts.get(key)
            if p is None:
                p = parts[key] = ([], [], [])
            p[0].append(step_text)
            p[1].append(_values_text(block.values[j::k] if k > 1 else block.values))
            p[2].append(times)
    if not parts:
        return []
    out = [f'{{"v":{version},"t":"metrics","ts":{ts!r},"series":{{']
    for i, (key, (s, v, t)) in enumerate(parts.items()):
        out += [',' if i else '', json.dumps(key), ':{"step":[', ",".join(s), '],"value":[', ",".join(v),
                '],"time":[', ",".join(t), "]}"]
    out.append("}}\n")
    return out
