"""Tee of ``sys.stdout`` / ``sys.stderr`` into the run's journal, at the Python level.

Every write goes straight through to the original stream first (the terminal still shows
everything, ``isatty()`` stays true, colours and tqdm keep working); each completed line is then
appended as a ``log`` record (stdout: level ``info``, stderr: level ``error``, with ``stream``).

- ``\\r``-rewritten lines (progress bars) are logged once, in their last state.
- Blank lines are not logged; lines longer than ``LINE_CAP`` characters are cut.
- Secret values (see ``_secrets.Redactor``) are logged as ``***``; the terminal shows the line as written.
- Output written below Python (``os.write(1, ...)``, C extensions, child processes) is not captured.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, List, Optional, TextIO

from ._encode import dumps
from ._records import JOURNAL_VERSION

LINE_CAP = 64 * 1024
_TRUNCATED = " [... line truncated by mlwb]"


def last_state(line: str) -> str:
    """What a terminal would show for ``line``: the text after its last (non-trailing) ``\\r``."""
    if "\r" not in line:
        return line
    stripped = line.rstrip("\r")
    return stripped[stripped.rfind("\r") + 1:]


class TeeStream:
    """Wraps a text stream; completed lines go to ``sink(encoded_log_line)``."""

    def __init__(self, stream: TextIO, stream_name: str, sink: Callable[[str], None],
                 redact: Callable[[str], str] = lambda line: line) -> None:
        self._stream = stream
        self._redact = redact
        self._name = stream_name
        self._level = "info" if stream_name == "stdout" else "error"
        self._sink: Optional[Callable[[str], None]] = sink
        self._lock = threading.Lock()
        self._parts: List[str] = []
        self._plen = 0
        self._overflow = False

    # The wrapped stream: everything else (fileno, isatty, encoding, buffer, ...) is the original's.
    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property
    def wrapped(self) -> TextIO:
        return self._stream

    def write(self, s: str) -> int:
        n = self._stream.write(s)
        if self._sink is not None and s:
            try:
                self._feed(s)
            except Exception:
                self._sink = None  # never break the script's output: stop capturing instead
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    # -- capture ------------------------------------------------------------------------------

    def _feed(self, s: str) -> None:
        if not isinstance(s, str):
            return
        with self._lock:
            if "\n" not in s:
                if "\r" in s:
                    cur = "".join(self._parts) + s
                    stripped = cur.rstrip("\r")
                    i = stripped.rfind("\r")
                    if i >= 0:
                        cur = cur[i + 1:]
                        self._overflow = False
                    self._parts, self._plen = [cur], len(cur)
                elif not self._overflow:
                    self._parts.append(s)
                    self._plen += len(s)
                if self._plen > LINE_CAP:
                    cur = "".join(self._parts)[:LINE_CAP]
                    self._parts, self._plen, self._overflow = [cur], len(cur), True
                return
            pieces = s.split("\n")
            first = "".join(self._parts) + pieces[0] if not self._overflow else "".join(self._parts)
            lines = [first, *pieces[1:-1]]
            truncated = self._overflow
            tail = pieces[-1]
            self._parts, self._plen, self._overflow = ([tail], len(tail), False) if tail else ([], 0, False)
        self._emit(lines, truncated)

    def _emit(self, lines: List[str], first_truncated: bool = False) -> None:
        sink = self._sink
        if sink is None:
            return
        ts = time.time()
        out = []
        for k, line in enumerate(lines):
            line = last_state(line)
            if not line or line.isspace():
                continue
            if len(line) > LINE_CAP or (k == 0 and first_truncated):
                line = line[:LINE_CAP] + _TRUNCATED
            out.append(dumps({"v": JOURNAL_VERSION, "t": "log", "ts": ts, "level": self._level, "msg": self._redact(line),
                              "stream": self._name}) + "\n")
        if out:
            sink("".join(out))

    def finish(self) -> None:
        """Log a last line left without a newline, and stop capturing."""
        with self._lock:
            rest = "".join(self._parts)
            truncated = self._overflow
            self._parts, self._plen, self._overflow = [], 0, False
        if rest:
            try:
                self._emit([rest], truncated)
            except Exception:
                pass
        self._sink = None
