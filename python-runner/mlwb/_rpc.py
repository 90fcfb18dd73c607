"""A small JSON-RPC 2.0 client over a local pipe (standard library only).

Content-Length framing (``Content-Length: N\\r\\n\\r\\n<N bytes of UTF-8 JSON>``), as vscode-jsonrpc speaks it.
Transport: ``socket.AF_UNIX`` on POSIX; on Windows the named pipe ``\\\\.\\pipe\\NAME`` opened for
overlapped I/O (a reader blocked in a synchronous read would otherwise block every write).

Sending never blocks the caller: messages go through a queue to a writer thread. A reader thread
dispatches the extension's requests to handlers and resolves the answers to our requests. If the
connection drops, sends become no-ops and the caller carries on.
"""
from __future__ import annotations

import json
import os
import queue
import re
import socket
import sys
import threading
from typing import Any, Callable, Dict, Optional

from ._encode import dumps
from ._protocol import INTERNAL_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR

MAX_HEADER_BYTES = 8192
_STOP = object()


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.data = data


class ConnectionClosed(RpcError):
    def __init__(self, message: str = "connection closed") -> None:
        super().__init__(-32099, message)


# -- transports ---------------------------------------------------------------------------------

class _SocketTransport:
    def __init__(self, path: str, timeout: float) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
        except BaseException:
            self._sock.close()
            raise
        self._sock.settimeout(None)

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def recv(self) -> bytes:
        return self._sock.recv(65536)

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


class _WindowsPipeTransport:  # pragma: no cover - exercised on Windows only
    """A Windows named pipe opened with FILE_FLAG_OVERLAPPED, so a read and a write can be in
    flight at once from two threads (as ``multiprocessing.connection`` does)."""

    def __init__(self, path: str, timeout: float) -> None:
        import time

        import _winapi

        self._w = _winapi
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._h = _winapi.CreateFile(
                    path, _winapi.GENERIC_READ | _winapi.GENERIC_WRITE, 0, _winapi.NULL,
                    _winapi.OPEN_EXISTING, _winapi.FILE_FLAG_OVERLAPPED, _winapi.NULL)
                break
            except OSError as e:
                # ERROR_PIPE_BUSY (231): every instance is in use; wait a little and retry.
                if getattr(e, "winerror", None) != 231 or time.monotonic() > deadline:
                    raise
                _winapi.WaitNamedPipe(path, 100)
        self._closed = False

    def send(self, data: bytes) -> None:
        w = self._w
        ov, _err = w.WriteFile(self._h, data, overlapped=True)
        n, _err = ov.GetOverlappedResult(True)  # waits (the GIL is released meanwhile)
        if n != len(data):
            raise OSError(f"short write to pipe ({n} of {len(data)} bytes)")

    def recv(self) -> bytes:
        w = self._w
        try:
            ov, _err = w.ReadFile(self._h, 65536, overlapped=True)
            n, err = ov.GetOverlappedResult(True)
        except OSError as e:
            if getattr(e, "winerror", None) in (109, 232, 233, 995):  # broken pipe, closing, aborted
                return b""
            raise
        if err not in (0, 234):  # 234: ERROR_MORE_DATA (message-mode pipes): the rest comes next read
            return b""
        return bytes(ov.getbuffer()[:n])

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._w.CloseHandle(self._h)
            except OSError:
                pass


def pipe_path(name: str) -> str:
    """The path to open for a pipe name from ``MLWB_RPC_PIPE`` (vscode-jsonrpc gives full paths)."""
    if sys.platform == "win32" and not name.startswith("\\\\"):
        return "\\\\.\\pipe\\" + name
    return name


def open_transport(name: str, timeout: float = 5.0) -> Any:
    path = pipe_path(name)
    if sys.platform == "win32":  # pragma: no cover
        return _WindowsPipeTransport(path, timeout)
    return _SocketTransport(path, timeout)


# -- framing ------------------------------------------------------------------------------------

def frame(message: Dict[str, Any]) -> bytes:
    body = dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class _Pending:
    __slots__ = ("event", "result", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.result: Any = None
        self.error: Optional[RpcError] = None


Handler = Callable[[Any], Any]


class ReplyThen:
    """A handler's result whose ``then()`` runs once the reply is queued (so the reply goes out before
    anything ``then`` causes, e.g. interrupting the script that will then send ``run/finished``)."""

    def __init__(self, result: Any, then: Callable[[], None]) -> None:
        self.result = result
        self.then = then


class RpcClient:
    """One JSON-RPC connection. ``handlers`` answer the other side's requests (method -> fn(params))."""

    def __init__(self, transport: Any, handlers: Optional[Dict[str, Handler]] = None,
                 on_close: Optional[Callable[[], None]] = None) -> None:
        self._t = transport
        self.handlers: Dict[str, Handler] = dict(handlers or {})
        self._on_close = on_close
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._pending: Dict[int, _Pending] = {}
        self._plock = threading.Lock()
        self._next_id = 0
        self.closed = False
        self._closing = False
        self._writer = threading.Thread(target=self._write_loop, name="mlwb-rpc-writer", daemon=True)
        self._reader = threading.Thread(target=self._read_loop, name="mlwb-rpc-reader", daemon=True)
        self._writer.start()
        self._reader.start()

    # -- sending ------------------------------------------------------------------------------

    def notify(self, method: str, params: Any = None) -> None:
        """Queue a notification (never blocks; dropped once the connection is closed)."""
        if not self._closing:
            msg: Dict[str, Any] = {"jsonrpc": "2.0", "method": method}
            if params is not None:
                msg["params"] = params
            self._queue.put(msg)

    def request(self, method: str, params: Any = None, timeout: float = 5.0) -> Any:
        """Send a request and wait for its result; raises ``RpcError`` (or ``TimeoutError``)."""
        if self._closing:
            raise ConnectionClosed()
        with self._plock:
            self._next_id += 1
            rid = self._next_id
            pending = self._pending[rid] = _Pending()
        msg: Dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self._queue.put(msg)
        if not pending.event.wait(timeout):
            with self._plock:
                self._pending.pop(rid, None)
            raise TimeoutError(f"no answer to {method} within {timeout:g} s")
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _reply(self, rid: Any, result: Any = None, error: Optional[Dict[str, Any]] = None) -> None:
        msg: Dict[str, Any] = {"jsonrpc": "2.0", "id": rid}
        if error is not None:
            msg["error"] = error
        else:
            msg["result"] = result
        if not self._closing:
            self._queue.put(msg)

    def _write_loop(self) -> None:
        while True:
            msg = self._queue.get()
            if msg is _STOP:
                return
            try:
                data = frame(msg)
            except Exception as e:  # an unencodable message must not kill the channel
                print(f"mlwb: could not encode a message for VS Code: {e!r}", file=sys.stderr)
                continue
            try:
                self._t.send(data)
            except OSError:
                self._lost()
                return

    # -- receiving ----------------------------------------------------------------------------

    def _read_loop(self) -> None:
        buf = bytearray()
        try:
            while True:
                end = buf.find(b"\r\n\r\n")
                while end < 0:
                    if len(buf) > MAX_HEADER_BYTES:  # garbage without a header end: resync
                        del buf[: len(buf) - 16]
                    chunk = self._t.recv()
                    if not chunk:
                        return
                    buf += chunk
                    end = buf.find(b"\r\n\r\n")
                length = _content_length(bytes(buf[:end]))
                if length is None:
                    # A malformed header: report it and drop it; whatever body followed it is skipped
                    # as leading garbage of the next header.
                    self._reply(None, error={"code": PARSE_ERROR, "message": "malformed header: no valid Content-Length"})
                    del buf[: end + 4]
                    continue
                del buf[: end + 4]
                while len(buf) < length:
                    chunk = self._t.recv()
                    if not chunk:
                        return
                    buf += chunk
                body = bytes(buf[:length])
                del buf[:length]
                self._dispatch(body)
        except OSError:
            pass
        finally:
            self._lost()

    def _dispatch(self, body: bytes) -> None:
        try:
            msg = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            self._reply(None, error={"code": PARSE_ERROR, "message": f"parse error: {e}"})
            return
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
            rid = msg.get("id") if isinstance(msg, dict) else None
            self._reply(rid, error={"code": INVALID_REQUEST, "message": "invalid request: expected a JSON-RPC 2.0 object"})
            return
        method = msg.get("method")
        if method is None:
            self._resolve(msg)
            return
        has_id = "id" in msg
        rid = msg.get("id")
        if not isinstance(method, str) or (has_id and not isinstance(rid, (int, str))):
            if has_id:
                self._reply(rid if isinstance(rid, (int, str)) else None,
                            error={"code": INVALID_REQUEST, "message": "invalid request: bad method or id"})
            return
        handler = self.handlers.get(method)
        if not has_id:  # a notification: `$/cancelRequest`, `$/setTrace`...: nothing to answer
            if handler is not None:
                try:
                    handler(msg.get("params"))
                except Exception:
                    pass
            return
        if handler is None:
            self._reply(rid, error={"code": METHOD_NOT_FOUND, "message": f"unhandled method {method}"})
            return
        try:
            result = handler(msg.get("params"))
        except RpcError as e:
            self._reply(rid, error={"code": e.code, "message": e.message})
            return
        except Exception as e:
            self._reply(rid, error={"code": INTERNAL_ERROR, "message": f"{type(e).__name__}: {e}"})
            return
        if isinstance(result, ReplyThen):
            self._reply(rid, result.result)
            try:
                result.then()
            except Exception:
                pass
            return
        self._reply(rid, result)

    def _resolve(self, msg: Dict[str, Any]) -> None:
        rid = msg.get("id")
        with self._plock:
            pending = self._pending.pop(rid, None) if isinstance(rid, int) else None
        if pending is None:
            return
        err = msg.get("error")
        if err is not None:
            if isinstance(err, dict):
                pending.error = RpcError(int(err.get("code", INTERNAL_ERROR)), str(err.get("message", "error")), err.get("data"))
            else:
                pending.error = RpcError(INTERNAL_ERROR, str(err))
        else:
            pending.result = msg.get("result")
        pending.event.set()

    # -- closing ------------------------------------------------------------------------------

    def _lost(self) -> None:
        """The connection is gone (EOF or error): fail pending requests, stop sending."""
        first = not self.closed
        self.closed = True
        self._closing = True
        with self._plock:
            pending, self._pending = list(self._pending.values()), {}
        for p in pending:
            p.error = ConnectionClosed()
            p.event.set()
        self._queue.put(_STOP)
        if first and self._on_close is not None:
            try:
                self._on_close()
            except Exception:
                pass

    def close(self, drain_timeout: float = 2.0) -> None:
        """Send everything queued (waiting up to ``drain_timeout``), then close the pipe."""
        if not self._closing:
            self._closing = True
            self._queue.put(_STOP)
            if self._writer is not threading.current_thread():
                self._writer.join(drain_timeout)
        self.closed = True
        try:
            self._t.close()
        except OSError:
            pass
        if self._reader is not threading.current_thread():
            self._reader.join(0.5)


_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


def _content_length(head: bytes) -> Optional[int]:
    """The Content-Length of a header block; bytes before it (left over from a broken frame) are ignored."""
    matches = _CONTENT_LENGTH.findall(head)
    if not matches:
        return None
    value = matches[-1].strip()
    return int(value) if value.isdigit() else None
