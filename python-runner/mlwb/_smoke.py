"""``python -m mlwb smoke --model PATH --data CSV``: the model served on loopback by the real server
(``python -m mlwb serve``, a child process), sent ``--requests`` one-row requests made of the CSV's rows in
turn over one keep-alive connection, and the outcome printed as one JSON line:

    {"format": 1, "requests", "errors", "p50_ms", "p95_ms", "max_ms", "startup_ms", "error_samples": [...]}

Latencies are measured by the client (request sent to answer read). Columns are the ones the server's
``/metadata`` says the model takes (else every column but ``--target``). Exit codes: 0 done (errors are
counted, not fatal: the promotion gate judges them), 1 the server did not start, 2 bad input, 130 cancelled.
Standard library only.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

EXIT_OK, EXIT_SERVER, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
START_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 60.0
ERROR_SAMPLES = 5


class SmokeError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mlwb smoke", description=(
        "Serve a model on loopback with the real server and time one-row requests made of a CSV's rows. "
        "A pickle/joblib model is code: only smoke-test files you trust."))
    p.add_argument("--model", required=True)
    p.add_argument("--model-sha256", default=None, help="sha256 the model file must have (checked by the server)")
    p.add_argument("--data", required=True, help="CSV with a header row; its rows are the requests")
    p.add_argument("--target", default=None, help="a column never sent (the label)")
    p.add_argument("--requests", type=int, default=300, help="requests to send (default 300)")
    p.add_argument("--signature", default=None, help="serve with this signature.json")
    p.add_argument("--threshold", type=float, default=None, help="serve with this threshold")
    return p


def _cell(s: str) -> Any:
    if s.strip() == "":
        return None
    try:
        return float(s)
    except ValueError:
        return s


def read_rows(path: str, target: Optional[str]) -> Any:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r]
    except OSError as e:
        raise SmokeError(f"could not read {path}: {e.strerror or e}") from None
    if len(rows) < 2:
        raise SmokeError(f"{path} needs a header row and at least one row")
    header, body = [c.strip() for c in rows[0]], rows[1:]
    if target is not None and target not in header:
        raise SmokeError(f"target column {target!r} is not in the CSV (columns: {', '.join(header)})")
    return header, body


def quantile_ms(sorted_s: List[float], q: float) -> Optional[float]:
    """Nearest-rank quantile, in ms."""
    if not sorted_s:
        return None
    rank = max(1, math.ceil(q * len(sorted_s)))
    return round(sorted_s[rank - 1] * 1000, 3)


class Server:
    """``python -m mlwb serve`` as a child, on 127.0.0.1 and a free port."""

    def __init__(self, args: argparse.Namespace) -> None:
        cmd = [sys.executable, "-m", "mlwb", "serve", "--model", args.model, "--host", "127.0.0.1", "--port", "0"]
        for flag, value in (("--model-sha256", args.model_sha256), ("--signature", args.signature),
                            ("--threshold", args.threshold)):
            if value is not None:
                cmd += [flag, str(value)]
        env = {k: v for k, v in os.environ.items() if k not in ("MLWB_RPC_PIPE", "MLWB_SERVE_TOKEN")}
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr: List[str] = []
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def ready(self) -> Dict[str, Any]:
        try:
            line = self.lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            raise SmokeError(f"the server did not start within {START_TIMEOUT_S:.0f} s", EXIT_SERVER) from None
        event = json.loads(line) if line else {}
        if event.get("event") != "ready":
            self.proc.wait(10)
            why = event.get("error") or "".join(self.stderr[-5:]).strip() or f"exit {self.proc.returncode}"
            raise SmokeError(f"the server did not start: {why}", EXIT_SERVER)
        return event

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _get_json(conn: http.client.HTTPConnection, path: str) -> Any:
    conn.request("GET", path)
    r = conn.getresponse()
    return json.loads(r.read())


def smoke(args: argparse.Namespace) -> Dict[str, Any]:
    if args.requests < 1:
        raise SmokeError("--requests must be at least 1")
    if not os.path.isfile(args.model):
        raise SmokeError(f"could not load {args.model}: model file not found")
    header, body = read_rows(args.data, args.target)
    t0 = time.perf_counter()
    server = Server(args)
    try:
        ready = server.ready()
        startup_ms = round((time.perf_counter() - t0) * 1000, 3)
        conn = http.client.HTTPConnection("127.0.0.1", ready["port"], timeout=REQUEST_TIMEOUT_S)
        features = _get_json(conn, "/metadata").get("features")
        signed = args.signature is not None  # the server picks the signature's columns and ignores the rest
        columns = header if signed else [c for c in (features or header) if c != args.target]
        missing = [c for c in columns if c not in header]
        if missing:
            raise SmokeError(f"the CSV lacks column(s) the model takes: {', '.join(missing)}")
        index = [header.index(c) for c in columns]
        latencies: List[float] = []
        errors: List[str] = []
        for i in range(args.requests):
            row = body[i % len(body)]
            payload = json.dumps({"dataframe_split": {"columns": columns,
                                                      "data": [[_cell(row[j]) if j < len(row) else None for j in index]]}})
            start = time.perf_counter()
            try:
                conn.request("POST", "/invocations", body=payload, headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                answer = r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                status, answer = 0, f"{type(e).__name__}: {e}".encode()
                conn.close()  # reconnects on the next request
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(f"request {i + 1}: HTTP {status}: {answer[:300].decode('utf-8', 'replace')}")
        conn.close()
    finally:
        server.stop()
    ordered = sorted(latencies)
    return {"format": 1, "requests": len(latencies), "errors": len(errors), "p50_ms": quantile_ms(ordered, 0.5),
            "p95_ms": quantile_ms(ordered, 0.95), "max_ms": round(ordered[-1] * 1000, 3), "startup_ms": startup_ms,
            "error_samples": errors[:ERROR_SAMPLES], "columns": columns}


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)

    def on_signal(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        result = smoke(args)
    except SmokeError as e:
        sys.stderr.write(f"mlwb smoke: error: {e}\n")
        sys.stdout.write(json.dumps({"format": 1, "error": str(e), "exitCode": e.code}) + "\n")
        return e.code
    except KeyboardInterrupt:
        sys.stderr.write("mlwb smoke: cancelled\n")
        return EXIT_CANCELLED
    sys.stdout.write(json.dumps(result) + "\n")
    return EXIT_OK
