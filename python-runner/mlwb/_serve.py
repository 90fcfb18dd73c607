"""``python -m mlwb serve --model PATH``: an MLflow-compatible scoring server for one model.

HTTP/1.1 with keep-alive on an asyncio event loop (one thread parses and answers every connection), and a
batcher thread that gathers the rows of concurrent ``/invocations`` into one ``predict`` call (adaptive
micro-batching: it waits up to ``max_wait_ms`` for more only while some open connection could still
send one, and never beyond ``max_batch`` rows).

Endpoints: GET /ping, /health, /version, /metadata, /metrics; POST /invocations (JSON
``dataframe_split`` / ``dataframe_records`` / ``instances`` / ``inputs``, or text/csv) answering
``{"predictions": [...]}``. Errors are JSON ``{"error_code": ..., "message": ...}`` with the status
(400 malformed, 401 token, 403 a Host that is not loopback or the bound host (DNS rebinding), 404, 405,
413 too large, 415 content type, 422 features, 500, 503).

stdout carries JSON event lines only: ``{"event": "ready", ...}`` once listening, then ``{"event":
"stopped", ...}`` or ``{"event": "error", ...}`` (exit 1) at the end. Logs go to stderr.
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import hmac
import ipaddress
import json
import math
import os
import re
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable, Deque, Dict, List, Optional

from ._channel import connect, say
from ._encode import dumps
from ._model import InputError, Model, ModelLoadError
from ._model_options import add_model_options, open_model
from ._protocol import RUN_CANCEL, SERVE_READY, SERVE_STOPPED, SYSTEM_INFO

TOKEN_ENV = "MLWB_SERVE_TOKEN"
MAX_HEADER_BYTES = 64 * 1024
IDLE_TIMEOUT_S = 75.0
HEADER_TIMEOUT_S = 30.0
DRAIN_TIMEOUT_S = 5.0
LINGER_S = 2.0
EXIT_FATAL = 1
EXIT_USAGE = 2

REASONS = {
    100: "Continue", 200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required", 413: "Payload Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Entity", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
}
ERROR_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "ENDPOINT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT", 411: "BAD_REQUEST", 413: "REQUEST_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_PARAMETER_VALUE", 431: "BAD_REQUEST", 500: "INTERNAL_ERROR", 501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
}
ROUTES = {
    "/ping": ("GET", "HEAD"), "/health": ("GET", "HEAD"), "/version": ("GET", "HEAD"),
    "/metadata": ("GET", "HEAD"), "/metrics": ("GET", "HEAD"), "/invocations": ("POST",),
}
JSON_TYPE = "application/json"


def emit(event: Dict[str, Any]) -> None:
    """One JSON line on stdout (what the extension reads)."""
    try:
        sys.stdout.write(dumps(event) + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (brackets allowed around IPv6): a bind that needs no token. The cases:
    tests/data/serve/loopback-cases.json (also run against src/serving/serve-process.ts#isLoopback)."""
    h = host.strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
        if ":" not in h:
            return False  # brackets only around an IPv6 address
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


_HOST_HEADER = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[^\[\]:/@\s]+)(?::\d{1,5})?$")
_WILDCARD = ("0.0.0.0", "::", "")


def host_allowed(header: Optional[str], bind: str) -> bool:
    """Whether a request with this ``Host`` header is answered (else 403): a loopback name (localhost, 127.x,
    [::1], with or without a port) or the host the server was started with; bound to every interface
    (0.0.0.0, ::), any IP address too (a token is required there). A name a web page's DNS points at the
    machine (DNS rebinding) is refused. No header at all: not a browser, allowed."""
    if header is None:
        return True
    m = _HOST_HEADER.match(header.strip())
    if not m:
        return False
    name = m.group(1).lower()
    if is_loopback(name):
        return True
    bare = name[1:-1] if name.startswith("[") else name
    configured = bind.strip().lower().strip("[]")
    if bare == configured:
        return True
    if configured in _WILDCARD:
        try:
            ipaddress.ip_address(bare)
            return True
        except ValueError:
            return False
    return False


# -- metrics ----------------------------------------------------------------------------------------

class Histogram:
    """Fixed geometric buckets (5% wide) from 10 µs to ~2 min: percentiles within 5%, constant memory."""

    BOUNDS = [1e-5 * 1.05 ** i for i in range(int(math.log(120 / 1e-5) / math.log(1.05)) + 2)]

    def __init__(self) -> None:
        self.counts = [0] * (len(self.BOUNDS) + 1)
        self.n = 0
        self.total = 0.0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.BOUNDS, seconds)] += 1
        self.n += 1
        self.total += seconds
        if seconds > self.max:
            self.max = seconds

    def quantile(self, q: float) -> Optional[float]:
        if not self.n:
            return None
        rank = q * self.n
        seen = 0
        for i, c in enumerate(self.counts):
            seen += c
            if seen >= rank and c:
                if i >= len(self.BOUNDS):
                    return self.max
                upper = self.BOUNDS[i]
                lower = self.BOUNDS[i - 1] if i else 0.0
                return min(self.max, math.sqrt(lower * upper) if lower else upper)
        return self.max

    def summary_ms(self) -> Dict[str, Any]:
        def ms(v: Optional[float]) -> Optional[float]:
            return None if v is None else round(v * 1000, 3)

        return {"count": self.n, "mean": ms(self.total / self.n) if self.n else None,
                "p50": ms(self.quantile(0.50)), "p95": ms(self.quantile(0.95)), "p99": ms(self.quantile(0.99)),
                "max": ms(self.max) if self.n else None}


class Metrics:
    """Counters written by the event loop (requests) and by the batcher (batches): one writer each."""

    WINDOW_S = 10

    def __init__(self) -> None:
        self.started = time.time()
        self.started_mono = time.monotonic()
        self.requests = 0
        self.by_status: Dict[int, int] = collections.Counter()
        self.by_path: Dict[str, int] = collections.Counter()
        self.latency = Histogram()  # /invocations, request parsed -> response written
        self.rows = 0
        self._window: Deque[List[int]] = collections.deque(maxlen=self.WINDOW_S + 1)  # [second, count]
        # batcher side
        self.batches = 0
        self.batch_rows = 0
        self.batch_requests = 0
        self.max_batch_rows = 0
        self.max_batch_requests = 0
        self.batch_sizes: Dict[str, int] = collections.Counter()  # requests per batch: 1, 2-3, 4-7, ...
        self.predict = Histogram()
        self.predict_errors = 0

    def request(self, path: str, status: int, latency: Optional[float], rows: int = 0) -> None:
        self.requests += 1
        self.by_status[status] += 1
        self.by_path[path if path in ROUTES else "other"] += 1
        if latency is not None:
            self.latency.add(latency)
            self.rows += rows
        sec = int(time.monotonic())
        w = self._window
        if w and w[-1][0] == sec:
            w[-1][1] += 1
        else:
            w.append([sec, 1])

    def batch(self, n_requests: int, n_rows: int, seconds: float) -> None:
        self.batches += 1
        self.batch_rows += n_rows
        self.batch_requests += n_requests
        self.max_batch_rows = max(self.max_batch_rows, n_rows)
        self.max_batch_requests = max(self.max_batch_requests, n_requests)
        lo = 1 << (n_requests.bit_length() - 1)
        self.batch_sizes[str(lo) if lo == 1 else f"{lo}-{2 * lo - 1}"] += 1
        self.predict.add(seconds)

    def snapshot(self, server: "Server") -> Dict[str, Any]:
        now = time.monotonic()
        up = now - self.started_mono
        sec = int(now)
        recent = sum(c for s, c in self._window if sec - self.WINDOW_S <= s < sec)
        span = min(self.WINDOW_S, max(up - 1, 1e-9))
        errors = {str(k): v for k, v in sorted(self.by_status.items()) if k >= 400}
        return {
            "model": server.model.name, "version": server.model.version, "uptime_s": round(up, 3),
            "requests": self.requests, "errors": sum(errors.values()), "errors_by_status": errors,
            "requests_by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "requests_by_path": dict(self.by_path), "predictions": self.rows,
            "throughput_rps": round(recent / span, 3) if up >= 1 else 0.0,
            "throughput_rps_mean": round(self.requests / up, 3) if up > 0 else 0.0,
            "latency_ms": self.latency.summary_ms(),
            "in_flight": server.busy, "connections": len(server.conns),
            "batching": {
                "max_batch": server.max_batch, "max_wait_ms": server.max_wait * 1000,
                "batches": self.batches, "rows": self.batch_rows, "requests": self.batch_requests,
                "mean_rows": round(self.batch_rows / self.batches, 3) if self.batches else None,
                "mean_requests": round(self.batch_requests / self.batches, 3) if self.batches else None,
                "max_rows": self.max_batch_rows, "max_requests": self.max_batch_requests,
                "requests_per_batch": dict(self.batch_sizes), "predict_ms": self.predict.summary_ms(),
                "predict_errors": self.predict_errors,
            },
        }

    def prometheus(self, server: "Server") -> str:
        s = self.snapshot(server)
        lines = ["# TYPE mlwb_requests_total counter"]
        for code, n in s["requests_by_status"].items():
            lines.append(f'mlwb_requests_total{{status="{code}"}} {n}')
        lines += ["# TYPE mlwb_predictions_total counter", f"mlwb_predictions_total {s['predictions']}",
                  "# TYPE mlwb_invocation_latency_seconds summary"]
        for q in (0.5, 0.95, 0.99):
            v = self.latency.quantile(q)
            lines.append(f'mlwb_invocation_latency_seconds{{quantile="{q}"}} {v if v is not None else "NaN"}')
        lines += [f"mlwb_invocation_latency_seconds_sum {self.latency.total}",
                  f"mlwb_invocation_latency_seconds_count {self.latency.n}",
                  "# TYPE mlwb_batches_total counter", f"mlwb_batches_total {self.batches}",
                  "# TYPE mlwb_batch_rows_total counter", f"mlwb_batch_rows_total {self.batch_rows}",
                  "# TYPE mlwb_in_flight gauge", f"mlwb_in_flight {server.busy}",
                  "# TYPE mlwb_uptime_seconds gauge", f"mlwb_uptime_seconds {s['uptime_s']}"]
        return "\n".join(lines) + "\n"


# -- the batcher ------------------------------------------------------------------------------------

class Item:
    __slots__ = ("conn", "x", "method", "t0", "arrived", "status", "body", "keep_alive", "head")

    def __init__(self, conn: "Conn", x: Any, method: str, t0: float, keep_alive: bool, head: bool) -> None:
        self.conn = conn
        self.x = x
        self.method = method
        self.t0 = t0
        self.arrived = time.monotonic()
        self.keep_alive = keep_alive
        self.head = head
        self.status = 500
        self.body = b""


def _predictions_body(values: Any) -> bytes:
    try:
        text = json.dumps(values, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError):
        text = dumps(values)
    return b'{"predictions":' + text.encode() + b"}"


def _error_body(status: int, message: str, code: Optional[str] = None, **extra: Any) -> bytes:
    return dumps({"error_code": code or ERROR_CODES.get(status, "INTERNAL_ERROR"), "message": message, **extra}).encode()


class Batcher:
    """Gathers queued requests into one predict call per method, then hands the answers to the loop."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.model = server.model
        self.max_rows = server.max_batch
        self.max_wait = server.max_wait
        self._queue: Deque[Item] = collections.deque()
        self._rows = 0
        self._cond = threading.Condition()
        self._stopping = False
        self.thread = threading.Thread(target=self._run, name="mlwb-batcher", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, item: Item) -> None:
        with self._cond:
            self._queue.append(item)
            self._rows += len(item.x)
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def _take(self) -> Optional[List[Item]]:
        with self._cond:
            while not self._queue:
                if self._stopping:
                    return None
                self._cond.wait()
            if self.max_wait > 0:
                deadline = self._queue[0].arrived + self.max_wait
                while self._rows < self.max_rows and not self._stopping:
                    # Worth waiting only while some open connection is not already waiting for an answer.
                    if len(self.server.conns) - self.server.busy <= 0:
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
            items = [self._queue.popleft()]
            rows = len(items[0].x)
            while self._queue and rows + len(self._queue[0].x) <= self.max_rows:
                item = self._queue.popleft()
                rows += len(item.x)
                items.append(item)
            self._rows -= rows
            return items

    def _run(self) -> None:
        try:
            while True:
                items = self._take()
                if items is None:
                    return
                self._predict(items)
                self.server.loop.call_soon_threadsafe(self.server.deliver, items)
        except BaseException as e:  # the batcher dying is fatal: the server must not stay up, unable to answer
            self.server.loop.call_soon_threadsafe(self.server.fatal, "the batcher thread died", e)

    def _predict(self, items: List[Item]) -> None:
        import numpy as np

        groups: Dict[str, List[Item]] = {}
        for it in items:
            groups.setdefault(it.method, []).append(it)
        for method, group in groups.items():
            t = time.perf_counter()
            try:
                x = group[0].x if len(group) == 1 else np.concatenate([it.x for it in group])
                out = self.model.call(x, method)
                if len(out) != len(x):
                    raise ValueError(f"the model returned {len(out)} predictions for {len(x)} rows")
            except Exception:
                if len(group) > 1:  # find who is to blame: each request alone
                    for it in group:
                        self._predict_one(it, method)
                else:
                    self._predict_one(group[0], method)
                continue
            finally:
                self.server.metrics.batch(len(group), sum(len(it.x) for it in group), time.perf_counter() - t)
            start = 0
            for it in group:
                n = len(it.x)
                it.status = 200
                it.body = _predictions_body(out[start:start + n].tolist())
                start += n

    def _predict_one(self, it: Item, method: str) -> None:
        try:
            out = self.model.call(it.x, method)
            it.status = 200
            it.body = _predictions_body(out.tolist())
        except InputError as e:
            it.status = e.status
            it.body = dumps(e.body()).encode()
        except (ValueError, TypeError, KeyError, IndexError) as e:
            self.server.metrics.predict_errors += 1
            it.status = 422
            it.body = _error_body(422, f"the model could not predict on this input: {type(e).__name__}: {e}")
        except Exception as e:
            self.server.metrics.predict_errors += 1
            it.status = 500
            it.body = _error_body(500, f"predict failed: {type(e).__name__}: {e}")
            say(f"predict failed: {traceback.format_exc()}")


# -- HTTP -------------------------------------------------------------------------------------------

class Request:
    __slots__ = ("method", "target", "version", "headers", "body", "keep_alive", "t0")

    def __init__(self, method: str, target: str, version: str, headers: Dict[str, str], body: bytes,
                 keep_alive: bool, t0: float) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive
        self.t0 = t0


class _Fatal(Exception):
    """A request that ends its connection: answer it, then close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Conn(asyncio.Protocol):
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.transport: Any = None
        self.buf = bytearray()
        self.busy = False  # a request of ours is with the batcher
        self.closing = False
        self.paused = False
        self.write_paused = False
        self.continued = False
        self.lingering = False
        self.last = time.monotonic()
        self.head_started: Optional[float] = None

    # -- asyncio callbacks ----------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.server.conns.add(self)

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.closing = True
        self.server.conns.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.lingering:  # answered and closing: what the client still sends is dropped
            return
        self.buf += data
        self.last = time.monotonic()
        if self.head_started is None:
            self.head_started = self.last
        if not self.busy and not self.write_paused:
            self.process()
        if (self.busy or self.write_paused) and len(self.buf) > self.server.max_body + MAX_HEADER_BYTES and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        if not self.busy:
            self.process()

    # -- requests -------------------------------------------------------------------------------

    def process(self) -> None:
        while not self.busy and not self.closing and not self.write_paused and self.buf:
            try:
                req = self._parse()
            except _Fatal as e:
                self.respond(e.status, _error_body(e.status, e.message), JSON_TYPE, False, "other", linger=True)
                return
            if req is None:
                break
            self.head_started = time.monotonic() if self.buf else None
            self.handle(req)
        if self.paused and not self.busy and not self.closing:
            self.paused = False
            self.transport.resume_reading()

    def _parse(self) -> Optional[Request]:
        buf = self.buf
        while buf[:2] == b"\r\n":  # stray CRLFs between requests
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEADER_BYTES:
                raise _Fatal(431, "request headers too large")
            return None
        if end > MAX_HEADER_BYTES:
            raise _Fatal(431, "request headers too large")
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _Fatal(400, "malformed request line")
        method, target, version = parts
        headers: Dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise _Fatal(400, "malformed header line")
            name = name.lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        conn_hdr = headers.get("connection", "").lower()
        if version == "HTTP/1.0":
            keep_alive = "keep-alive" in conn_hdr
        else:
            keep_alive = "close" not in conn_hdr
        start = end + 4
        max_body = self.server.max_body
        te = headers.get("transfer-encoding")
        if te is not None:
            if te.lower() != "chunked":
                raise _Fatal(501, f"transfer-encoding {te!r} is not supported")
            got = _dechunk(buf, start, max_body)
            if got is None:
                self._maybe_continue(headers)
                return None
            if got == -1:
                raise _Fatal(413, f"request body larger than the limit of {max_body} bytes")
            body, consumed = got
        else:
            cl = headers.get("content-length")
            if cl is None:
                length = 0
            elif cl.isdigit():
                length = int(cl)
            else:
                raise _Fatal(400, "invalid Content-Length")
            if length > max_body:
                raise _Fatal(413, f"request body of {length} bytes is larger than the limit of {max_body} bytes")
            if len(buf) < start + length:
                self._maybe_continue(headers)
                return None
            body = bytes(buf[start:start + length])
            consumed = start + length
        del buf[:consumed]
        self.continued = False
        return Request(method, target, version, headers, body, keep_alive and not self.server.stopping,
                       time.perf_counter())

    def _maybe_continue(self, headers: Dict[str, str]) -> None:
        if not self.continued and headers.get("expect", "").lower() == "100-continue":
            self.continued = True
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def handle(self, req: Request) -> None:
        server = self.server
        path, _, query = req.target.partition("?")
        head = req.method == "HEAD"
        if not host_allowed(req.headers.get("host"), server.host):
            self.respond(403, _error_body(403, f"Host {req.headers.get('host')!r} is not allowed: this server answers "
                                               f"localhost, 127.0.0.1, [::1] and {server.host} (a page's DNS name "
                                               "pointing here is refused)"),
                         JSON_TYPE, False, path, head=head)
            return
        if server.token is not None and not server.authorized(req.headers.get("authorization")):
            self.respond(401, _error_body(401, "a bearer token is required (Authorization: Bearer <token>)"),
                         JSON_TYPE, req.keep_alive, path, extra="WWW-Authenticate: Bearer\r\n", head=head)
            return
        allowed = ROUTES.get(path)
        if allowed is None:
            self.respond(404, _error_body(404, f"no endpoint {path}; try POST /invocations, GET /ping, /health, "
                                               "/version, /metadata, /metrics"), JSON_TYPE, req.keep_alive, path, head=head)
            return
        if req.method not in allowed:
            self.respond(405, _error_body(405, f"{req.method} is not allowed on {path} (allowed: {', '.join(allowed)})"),
                         JSON_TYPE, req.keep_alive, path, extra=f"Allow: {', '.join(allowed)}\r\n", head=head)
            return
        if path == "/invocations":
            self.invocations(req, query)
        elif path == "/ping":
            self.respond(200, b"\n", "application/json", req.keep_alive, path, head=head)
        elif path == "/health":
            body = dumps({"status": "ok" if not server.stopping else "stopping", "model": server.model.name,
                          "version": server.model.version, "uptime_s": round(time.monotonic() - server.metrics.started_mono, 3)})
            self.respond(200, body.encode(), JSON_TYPE, req.keep_alive, path, head=head)
        elif path == "/version":
            from . import __version__

            self.respond(200, __version__.encode(), "text/plain; charset=utf-8", req.keep_alive, path, head=head)
        elif path == "/metadata":
            self.respond(200, dumps(server.metadata()).encode(), JSON_TYPE, req.keep_alive, path, head=head)
        elif path == "/metrics":
            accept = req.headers.get("accept", "")
            if "text/plain" in accept and "json" not in accept:
                self.respond(200, server.metrics.prometheus(server).encode(), "text/plain; version=0.0.4",
                             req.keep_alive, path, head=head)
            else:
                self.respond(200, dumps(server.metrics.snapshot(server)).encode(), JSON_TYPE, req.keep_alive, path, head=head)

    def invocations(self, req: Request, query: str) -> None:
        server = self.server
        model = server.model
        ctype = req.headers.get("content-type", "")
        mime = ctype.split(";")[0].strip().lower()
        try:
            method = _query_method(query)
            if mime == JSON_TYPE or mime.endswith("+json"):
                try:
                    payload = json.loads(req.body)
                except (ValueError, UnicodeDecodeError) as e:
                    raise InputError(400, "MALFORMED_REQUEST", f"malformed JSON: {e}")
                if server.signed is not None:
                    payload = server.signed.json(payload)
                x, body_method = model.parse_json(payload)
                method = method or body_method
            elif mime in ("text/csv", "application/csv"):
                try:
                    text = req.body.decode("utf-8-sig")
                except UnicodeDecodeError as e:
                    raise InputError(400, "MALFORMED_REQUEST", f"the CSV is not UTF-8: {e}")
                if server.signed is not None:
                    x, _ = model.parse_json(server.signed.csv(text))
                else:
                    x = model.parse_csv(text)
                method = method or "predict"
            else:
                raise InputError(415, "UNSUPPORTED_MEDIA_TYPE",
                                 f"Content-Type {ctype or '(none)'!r} is not supported: send application/json "
                                 "(dataframe_split, dataframe_records, instances or inputs) or text/csv")
            if method == "predict_proba" and not model.has_proba:
                raise InputError(422, "INVALID_PARAMETER_VALUE", f"{type(model.obj).__name__} has no predict_proba")
        except InputError as e:
            self.respond(e.status, dumps(e.body()).encode(), JSON_TYPE, req.keep_alive, "/invocations")
            return
        if len(x) == 0:
            self.respond(200, b'{"predictions":[]}', JSON_TYPE, req.keep_alive, "/invocations", t0=req.t0)
            return
        if server.stopping:
            self.respond(503, _error_body(503, "the server is shutting down"), JSON_TYPE, False, "/invocations")
            return
        self.busy = True
        server.busy += 1
        server.batcher.submit(Item(self, x, method, req.t0, req.keep_alive, False))

    def finish(self, item: Item) -> None:
        """The batcher's answer to our request (on the loop thread)."""
        self.busy = False
        self.server.busy -= 1
        if self.closing:
            return
        self.respond(item.status, item.body, JSON_TYPE, item.keep_alive, "/invocations", t0=item.t0, rows=len(item.x))
        if not self.closing:
            self.process()

    def respond(self, status: int, body: bytes, ctype: str, keep_alive: bool, path: str, extra: str = "",
                t0: Optional[float] = None, rows: int = 0, head: bool = False, linger: bool = False) -> None:
        t = self.transport
        if self.closing or t is None or t.is_closing():
            return
        keep_alive = keep_alive and not self.server.stopping
        conn = "" if keep_alive else "Connection: close\r\n"
        head_bytes = (f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n"
                      f"Content-Length: {len(body)}\r\n{conn}{extra}\r\n").encode("latin-1")
        t.write(head_bytes if head else head_bytes + body)
        self.last = time.monotonic()
        self.server.metrics.request(path, status, (time.perf_counter() - t0) if t0 is not None else None, rows)
        if not keep_alive:
            self.closing = True
            if linger and t.can_write_eof():
                # The client may still be sending (a body over the limit): closing now would reset the
                # connection before it reads the answer. Send FIN, drop what comes, close soon after.
                self.lingering = True
                self.buf.clear()
                t.write_eof()
                self.server.loop.call_later(LINGER_S, t.close)
            else:
                t.close()


def _query_method(query: str) -> Optional[str]:
    if not query:
        return None
    from urllib.parse import parse_qs

    q = parse_qs(query)
    method = q.get("method", q.get("predict_method", [None]))[-1]
    if method is not None:
        if method not in ("predict", "predict_proba"):
            raise InputError(422, "INVALID_PARAMETER_VALUE", "method must be predict or predict_proba")
        return method
    proba = q.get("proba", [None])[-1]
    if proba is not None:
        return "predict_proba" if proba.lower() in ("1", "true", "yes") else "predict"
    return None


def _dechunk(buf: bytearray, pos: int, limit: int) -> Any:
    """A complete chunked body from ``buf[pos:]``: (body, end offset), None if incomplete, -1 if over ``limit``."""
    out = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _Fatal(400, "malformed chunked body")
        if size == 0:
            end = buf.find(b"\r\n\r\n", eol)  # trailers end with an empty line
            if buf[eol:eol + 4] == b"\r\n\r\n":
                return bytes(out), eol + 4
            return None if end < 0 else (bytes(out), end + 4)
        if len(out) + size > limit:
            return -1
        start = eol + 2
        if len(buf) < start + size + 2:
            return None
        out += buf[start:start + size]
        pos = start + size + 2


# -- the server -------------------------------------------------------------------------------------

class Server:
    def __init__(self, model: Model, host: str, port: int, token: Optional[str], max_batch: int,
                 max_wait_ms: float, max_body: int) -> None:
        self.model = model
        self.host = host
        self.port = port
        self.token = token
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.max_body = max_body
        self.metrics = Metrics()
        self.conns: "set[Conn]" = set()
        self.busy = 0
        self.stopping = False
        self.loop: Any = None
        self.batcher = Batcher(self)
        self.exit_code = 0
        self.stop_reason = ""
        self.error: Optional[str] = None
        self._server: Any = None
        self._done: Optional[asyncio.Future] = None
        self.rpc: Any = None
        # Set once the server has said goodbye on the pipe: VS Code closing it then is no news.
        self._rpc_finished = False
        self._metadata: Optional[Dict[str, Any]] = None
        self.signed: Any = None  # a _signed.Signed when serving with --signature

    def authorized(self, header: Optional[str]) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), (self.token or "").encode())

    def metadata(self) -> Dict[str, Any]:
        if self._metadata is None:
            from . import __version__

            self._metadata = {**self.model.metadata(), "server": {
                "runner": __version__, "url": self.url, "pid": os.getpid(), "max_batch": self.max_batch,
                "max_wait_ms": self.max_wait * 1000, "max_body_bytes": self.max_body,
                "token_required": self.token is not None}}
        if self.signed is not None:  # ignored columns grow as requests come
            return {**self._metadata, "signature": self.signed.signature, "ignored_columns": self.signed.ignored}
        return self._metadata

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def deliver(self, items: List[Item]) -> None:
        for it in items:
            it.conn.finish(it)

    def fatal(self, what: str, exc: BaseException) -> None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        say(f"{what}: {text}")
        self.error = f"{what}: {type(exc).__name__}: {exc}"
        self.exit_code = EXIT_FATAL
        self.request_stop("fatal")

    def request_stop(self, reason: str) -> None:
        if self._done is not None and not self._done.done():
            self.stop_reason = self.stop_reason or reason
            self._done.set_result(reason)

    def request_stop_threadsafe(self, reason: str) -> None:
        if self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(self.request_stop, reason)
            except RuntimeError:  # the loop is already closed
                pass

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(5)
            now = time.monotonic()
            for c in list(self.conns):
                if c.busy or c.closing:
                    continue
                if c.head_started is not None and now - c.head_started > HEADER_TIMEOUT_S:
                    c.respond(408, _error_body(408, "request not completed in time"), JSON_TYPE, False, "other")
                elif now - c.last > IDLE_TIMEOUT_S:
                    c.closing = True
                    c.transport.close()

    async def main(self, on_ready: Callable[[], None]) -> None:
        self.loop = asyncio.get_running_loop()
        self._done = self.loop.create_future()
        self._server = await self.loop.create_server(lambda: Conn(self), self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        self.batcher.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self.request_stop, "signal")
            except (NotImplementedError, RuntimeError, ValueError):  # Windows
                signal.signal(sig, lambda *_: self.request_stop_threadsafe("signal"))
        on_ready()
        sweeper = self.loop.create_task(self._sweep())
        await self._done
        # Stop: no new connections; let the requests already with the batcher finish (bounded), then close.
        self.stopping = True
        self._server.close()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while self.busy > 0 and time.monotonic() < deadline and self.exit_code == 0:
            await asyncio.sleep(0.01)
        self.batcher.stop()
        sweeper.cancel()
        for c in list(self.conns):
            c.closing = True
            if c.transport is not None:
                c.transport.close()
        await asyncio.sleep(0)

    # -- VS Code ------------------------------------------------------------------------------

    def connect_extension(self) -> None:
        """On a thread: the handshake, then ``serve/ready`` (never delays serving)."""
        def on_cancel(params: Any) -> Dict[str, Any]:
            self.request_stop_threadsafe("cancel")
            return {"accepted": True}

        def on_system_info(params: Any) -> Any:
            from ._sysinfo import system_info

            return dict(system_info())

        def on_close() -> None:
            # Also during the handshake: VS Code went away before it answered, and no server outlives it.
            if not self._rpc_finished and not self.stopping:
                say("lost the connection to VS Code: stopping the server")
                self.request_stop_threadsafe("extension-gone")

        rpc = connect(["serve", "cancel", "systemInfo"], {RUN_CANCEL: on_cancel, SYSTEM_INFO: on_system_info},
                      on_close=on_close)
        if rpc is None:
            return
        self.rpc = rpc
        rpc.notify(SERVE_READY, self.ready_event())

    def ready_event(self) -> Dict[str, Any]:
        m = self.model
        return {"event": "ready", "url": self.url, "host": self.host, "port": self.port, "pid": os.getpid(),
                "name": m.name, "version": m.version, "model": m.path, "format": m.format,
                "modelClass": m.cls, "nFeatures": m.n_features, "sha256": m.sha256, "tokenRequired": self.token is not None,
                "maxBatch": self.max_batch, "maxWaitMs": self.max_wait * 1000, "maxBodyBytes": self.max_body}


# -- CLI --------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mlwb serve", description=(
        "Serve a model over HTTP (MLflow scoring protocol). SECURITY: a pickle/joblib file runs code when "
        "loaded: serve only files you trust."))
    p.add_argument("--model", required=True, help="a pickle/joblib scikit-learn model, or an XGBoost .json/.ubj file")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; any other needs a token)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: a free one, printed in the ready line)")
    p.add_argument("--token", default=None, help=f"bearer token required from clients (or ${TOKEN_ENV})")
    p.add_argument("--max-batch", type=int, default=64, help="most rows per predict call (default 64)")
    p.add_argument("--max-wait-ms", type=float, default=5.0,
                   help="longest a request waits for others to batch with (default 5; 0: never wait)")
    p.add_argument("--max-body-mb", type=float, default=16.0, help="largest request body in MiB (default 16)")
    p.add_argument("--name", default=None, help="model name (for /metadata and /metrics)")
    p.add_argument("--version", default=None, help="model version (for /metadata and /metrics)")
    add_model_options(p)
    return p


def main(argv: List[str]) -> int:
    args = _parser().parse_args(argv)
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    if not is_loopback(args.host) and not token:
        say(f"refusing to serve on {args.host} without a token: anyone who can reach it could run the model. "
            f"Pass --token or set {TOKEN_ENV} (or use --host 127.0.0.1)")
        emit({"event": "error", "error": f"a token is required to bind {args.host}", "exitCode": EXIT_USAGE})
        return EXIT_USAGE
    if not 0 <= args.port <= 65535 or args.max_batch < 1 or args.max_wait_ms < 0 or args.max_body_mb <= 0:
        say("invalid --port/--max-batch/--max-wait-ms/--max-body-mb")
        emit({"event": "error", "error": "invalid arguments", "exitCode": EXIT_USAGE})
        return EXIT_USAGE
    try:
        model, signed = open_model(args, name=args.name, version=args.version)
    except ModelLoadError as e:
        say(str(e))
        emit({"event": "error", "error": str(e), "exitCode": EXIT_FATAL})
        return EXIT_FATAL
    except ImportError as e:
        say(f"missing a package to load {args.model}: {e}")
        emit({"event": "error", "error": f"missing a package: {e}", "exitCode": EXIT_FATAL})
        return EXIT_FATAL
    server = Server(model, args.host, args.port, token, args.max_batch, args.max_wait_ms,
                    int(args.max_body_mb * 1024 * 1024))
    server.signed = signed

    def on_ready() -> None:
        emit(server.ready_event())
        say(f"serving {model.name} ({model.cls}) at {server.url}/invocations")
        threading.Thread(target=server.connect_extension, name="mlwb-serve-rpc", daemon=True).start()

    try:
        asyncio.run(server.main(on_ready))
    except OSError as e:  # bind failures and the like
        msg = f"could not listen on {args.host}:{args.port}: {e.strerror or e}"
        say(msg)
        emit({"event": "error", "error": msg, "exitCode": EXIT_FATAL})
        return EXIT_FATAL
    except Exception as e:
        say("the server failed: " + traceback.format_exc())
        emit({"event": "error", "error": f"{type(e).__name__}: {e}", "exitCode": EXIT_FATAL})
        server.exit_code = EXIT_FATAL
        server.error = server.error or f"{type(e).__name__}: {e}"
    end: Dict[str, Any] = {"reason": server.stop_reason or "error", "exitCode": server.exit_code, "url": server.url,
                           "requests": server.metrics.requests}
    if server.error:
        end["error"] = server.error
        emit({"event": "error", **end})
    else:
        emit({"event": "stopped", **end})
    rpc = server.rpc
    if rpc is not None and not rpc.closed:
        server._rpc_finished = True
        try:  # a request, as run/finished: answered before the pipe closes
            rpc.request(SERVE_STOPPED, end, timeout=2.0)
        except Exception:
            pass
        rpc.close(0.5)
    return server.exit_code
