"""A fake VS Code extension: a Unix-socket JSON-RPC server speaking Content-Length frames, as
vscode-jsonrpc's createClientPipeTransport does. Records every message the runner sends."""
from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional


class FakeExtension:
    def __init__(self, accept_handshake: bool = True, answer_handshake: bool = True, secret: Optional[str] = None) -> None:
        """``secret``: accept only a handshake presenting it (as the extension checks its session's secret)."""
        self.secret = secret
        self.dir = tempfile.mkdtemp(prefix="mlwb-", dir="/tmp")  # AF_UNIX paths must stay short
        self.path = os.path.join(self.dir, "rpc.sock")
        self.accept_handshake = accept_handshake
        self.answer_handshake = answer_handshake
        self.messages: List[Dict[str, Any]] = []  # everything received, in order
        self.replies: Dict[Any, Dict[str, Any]] = {}  # answers to our requests, by id
        self._events: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(1)
        self._conn: Optional[socket.socket] = None
        self._send_lock = threading.Lock()
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._next_id = 1000

    # -- plumbing -----------------------------------------------------------------------------

    def _serve(self) -> None:
        self._server.settimeout(30)
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        self._conn = conn
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = int(head.split(b":")[1])
                while len(buf) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                body, buf = buf[:length], buf[length:]
                msg = json.loads(body)
                self.messages.append(msg)
                if msg.get("method") == "runner/handshake" and self.answer_handshake:
                    presented = (msg.get("params") or {}).get("secret")
                    ok = self.secret is None or presented == self.secret
                    accepted = self.accept_handshake and ok
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": {
                        "protocol": 1, "accepted": accepted,
                        **({} if accepted else {"reason": "test says no" if ok else "wrong session secret"})}})
                if msg.get("method") == "run/finished" and "id" in msg:
                    # The runner waits for this answer before it closes the pipe.
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                if "method" not in msg:
                    self.replies[msg.get("id")] = msg
                self._events.put(msg)
        except OSError:
            pass
        finally:
            self.closed.set()

    def send(self, msg: Dict[str, Any]) -> None:
        self.send_raw(json.dumps(msg).encode())

    def send_raw(self, body: bytes, header: Optional[bytes] = None) -> None:
        data = (header if header is not None else b"Content-Length: %d\r\n\r\n" % len(body)) + body
        with self._send_lock:
            assert self._conn is not None
            self._conn.sendall(data)

    def request(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        msg: Dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self._next_id

    def wait_for(self, pred: Callable[[Dict[str, Any]], bool], timeout: float = 20) -> Dict[str, Any]:
        for m in self.messages:
            if pred(m):
                return m
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; got {[m.get('method', m.get('id')) for m in self.messages]}")
            try:
                m = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if pred(m):
                return m

    def wait_method(self, method: str, timeout: float = 20) -> Dict[str, Any]:
        return self.wait_for(lambda m: m.get("method") == method, timeout)

    def wait_reply(self, rid: int, timeout: float = 20) -> Dict[str, Any]:
        return self.wait_for(lambda m: "method" not in m and m.get("id") == rid, timeout)

    def methods(self) -> List[str]:
        return [m["method"] for m in self.messages if "method" in m]

    def close(self) -> None:
        for s in (self._conn, self._server):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
