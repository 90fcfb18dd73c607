"""Buffered, append-only writer of a run's ``events.jsonl``.

Logging only appends to in-memory lists under a lock (microseconds; metric points as rows of calls,
see ``_metricbatch``). A daemon thread writes everything pending at least every second (sooner when
many points wait) with ONE ``os.write`` on an ``O_APPEND`` fd, so the
file only ever holds whole lines, except a torn last line if the process dies mid-write.

A full disk (or any write error) never raises into the script: what could not be written is kept
in memory (up to ``MAX_UNWRITTEN_BYTES``) and written first at the next flush, so a line cut by a
short write is completed rather than glued to the next one. stderr says so once, and again when
the journal is written again.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._encode import dumps
from ._metricbatch import PendingMetrics, Signature, metrics_record
from ._records import JOURNAL_VERSION, record

FLUSH_INTERVAL_S = 1.0
HEARTBEAT_INTERVAL_S = 5.0
MAX_UNWRITTEN_BYTES = 64 * 1024 * 1024
# The thread also writes as soon as one block holds this many points: pending memory stays small and is
# reused from flush to flush. (One flush of a second of points at a million a second touches tens of MB
# of fresh memory, and page faults cost more than the encoding: bench/bench_sdk.py.)
EARLY_FLUSH_POINTS = 1 << 14

_journals: "weakref.WeakSet[Journal]" = weakref.WeakSet()


class JournalClosed(RuntimeError):
    """Raised when writing to a journal whose run has ended."""


class Journal:
    """Append-only journal of one run. Thread-safe; one instance per open run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        self._lock = threading.Lock()  # guards the pending data below
        self._write_lock = threading.Lock()  # keeps concurrent flushes in order
        self._lines: List[str] = []
        self._metrics = PendingMetrics()
        self._last_step: Dict[str, float] = {}  # each key's last step, for steps left to count (drain side)
        self._closed = False
        self._foreign = False  # set in a forked child: drop its writes silently
        self._pid = os.getpid()
        self._flush_interval = FLUSH_INTERVAL_S
        self._heartbeat_interval = HEARTBEAT_INTERVAL_S
        self._last_beat = time.time()
        self._warned = False
        self._unwritten = b""  # bytes a failed write left, written first next time; starts mid-line after a short write
        self._write_error: Optional[str] = None  # set while writes fail, for one message per episode
        self._dropped = 0  # bytes given up in this episode (over the cap)
        self._size = os.fstat(self._fd).st_size  # bytes in the file: the offset a reader can ingest up to
        self.on_flush: Optional[Callable[[int, bool], None]] = None  # (offset, final) after each write
        self._stop = threading.Event()
        self._wake = threading.Event()  # flush now: set by close() and when a block of points grows large
        self._thread = threading.Thread(target=self._loop, name=f"mlwb-flush-{path.parent.name}", daemon=True)
        _journals.add(self)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def offset(self) -> int:
        """Bytes of the journal written so far (whole lines only)."""
        return self._size

    def add(self, rec: Dict[str, Any]) -> None:
        """Queue one record (encoded now, so a bad value fails at the caller, not in the thread)."""
        line = dumps(rec) + "\n"
        with self._lock:
            if self._closed:
                self._raise_closed()
                return
            self._lines.append(line)

    def add_raw(self, text: str) -> None:
        """Queue already-encoded records: whole JSON lines, each ending with a newline."""
        with self._lock:
            if self._closed:
                self._raise_closed()
                return
            self._lines.append(text)

    def append_row(self, sig: Signature, values: Iterable[float], step: Optional[float], t: float) -> None:
        """Add one call's points: ``values`` (floats, in ``sig.keys`` order) at ``step`` (None: each key's
        previous step + 1, from 0). The hot path of ``metrics.log``."""
        with self._lock:
            if self._closed:
                self._raise_closed()
                return
            pending = self._metrics  # PendingMetrics.add, inlined
            block = pending.open.get(sig)
            if block is None:
                block = pending.open_block(sig)
            block.steps.append(step)
            block.times.append(t)
            block.values.extend(values)
            if len(block.values) >= EARLY_FLUSH_POINTS and self._write_error is None and not self._wake.is_set():
                self._wake.set()  # (while writes fail, the thread retries once a second only)

    def append_points(self, items: Iterable[Tuple[str, float]], step: Optional[float], t: float) -> None:
        """Add metric points given as (key, value) pairs; ``step`` as for ``append_row``."""
        with self._lock:
            if self._closed:
                self._raise_closed()
                return
            self._metrics.add_points(items, step, t)

    def flush(self) -> None:
        """Write everything pending now."""
        self._write(None)

    def close(self, final: Optional[Dict[str, Any]] = None) -> None:
        """Flush, append ``final`` (the terminal status) after all data, and release the file."""
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread() and self._thread.is_alive():
            self._thread.join(timeout=5)
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._write(dumps(final) + "\n" if final is not None else None, final=True)
        try:
            os.close(self._fd)
        except OSError:
            pass

    # -- internals -----------------------------------------------------------------------

    def _drain(self) -> Tuple[List[str], PendingMetrics]:
        with self._lock:  # O(1): swap the buffers out, encode outside the lock
            lines, metrics = self._lines, self._metrics
            if lines or metrics:
                self._lines, self._metrics = [], PendingMetrics()
        return lines, metrics

    def _write(self, tail: Optional[str], final: bool = False) -> None:
        if os.getpid() != self._pid:
            return  # a forked child must never write into its parent's run
        with self._write_lock:
            lines, metrics = self._drain()
            if metrics:
                lines += metrics_record(metrics.blocks, self._last_step, JOURNAL_VERSION, time.time())
            if tail:
                lines.append(tail)
            if lines or self._unwritten:
                data = self._unwritten + "".join(lines).encode("utf-8")
                try:
                    while data:
                        n = os.write(self._fd, data)
                        self._size += n
                        data = data[n:]
                except OSError as e:
                    self._keep_unwritten(data, e, final)
                else:
                    self._written_again()
            elif not final:
                return
            hook = self.on_flush
            if hook is not None:
                try:
                    hook(self._size, final)
                except Exception as e:  # a listener must never break the journal
                    self._warn(f"mlwb: journal listener failed: {e!r}")

    def _keep_unwritten(self, data: bytes, error: OSError, final: bool) -> None:
        """Keep what failed for the next flush: the rest of a cut line first, then whole lines up to the cap."""
        kept = data
        if len(data) > MAX_UNWRITTEN_BYTES:
            cut = data.find(b"\n") + 1  # the rest of the line a short write cut: never dropped
            end = data.rfind(b"\n", cut, max(cut, MAX_UNWRITTEN_BYTES) + 1) + 1
            kept = data[: max(cut, end)]
        self._unwritten = kept
        if self._write_error is None:
            self._write_error = str(error)
            print(f"mlwb: could not write {self.path}: {error}. The run goes on: its metrics and logs are kept "
                  f"in memory (up to {MAX_UNWRITTEN_BYTES >> 20} MB) and written when there is space again.", file=sys.stderr)
        if len(kept) < len(data):
            if not self._dropped:
                print(f"mlwb: more than {MAX_UNWRITTEN_BYTES >> 20} MB of {self.path} waits to be written: "
                      "newer metrics and logs are dropped until it can be.", file=sys.stderr)
            self._dropped += len(data) - len(kept)
        if final:
            print(f"mlwb: the run ended with {len(kept)} bytes of its journal unwritten ({error}): "
                  f"{self.path} lacks them and shows the run as crashed.", file=sys.stderr)

    def _written_again(self) -> None:
        if self._write_error is not None:
            lost = f"{self._dropped} bytes were dropped" if self._dropped else "nothing that waited was lost"
            print(f"mlwb: {self.path} is written again; {lost}.", file=sys.stderr)
            self._write_error = None
            self._dropped = 0
        self._unwritten = b""

    def _loop(self) -> None:
        while True:
            self._wake.wait(self._flush_interval)
            if self._stop.is_set():
                return
            self._wake.clear()
            now = time.time()
            if now - self._last_beat >= self._heartbeat_interval:
                self._last_beat = now
                try:
                    self.add(record("heartbeat"))
                except JournalClosed:
                    return
            try:
                self.flush()
            except Exception as e:  # never let the thread die: the run would look crashed
                self._warn(f"mlwb: flush failed: {e!r}")

    def _raise_closed(self) -> None:
        if not self._foreign:
            raise JournalClosed("the run has ended: start it again (exp.run.start()) to keep logging")

    def _warn(self, msg: str) -> None:
        if not self._warned:
            self._warned = True
            print(msg, file=sys.stderr)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._lines, self._metrics = [], PendingMetrics()
        self._closed = True
        self._foreign = True


def _after_fork() -> None:
    for j in list(_journals):
        j._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
