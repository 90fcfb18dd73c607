"""Serving: ``python -m mlwb serve`` against a minimal threaded Flask server, same model, same run.

Model: RandomForestClassifier(100) on breast_cancer. Both servers listen on 127.0.0.1 only. Load: wrk
(``wrk -t2 -c32 -d10s``, POST of one row as ``{"instances": [[30 floats]]}``) when installed, else a bounded
Python load generator (32 keep-alive http.client threads for 10 s). Flask runs first, then ours, never both
at once. Then batch prediction: a generated 1M-row CSV through ``python -m mlwb predict`` (rows/s and peak
RSS against the file size).

Prints one JSON object: {"figures": [{"name", "value", "unit", "baseline", "baseline_name", "ratio"}]}.
Goal: throughput >= 3x Flask's with a p99 no worse.
Run: /usr/bin/python3 python-runner/bench/bench_serve.py [seconds] [connections] [batch_rows]
"""
from __future__ import annotations

import http.client
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

RUNNER_DIR = Path(__file__).resolve().parents[1]

FLASK_APP = """\
import pickle, sys
import numpy as np
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

with open(sys.argv[1], "rb") as f:
    model = pickle.load(f)
app = Flask(__name__)

@app.post("/invocations")
def invocations():
    x = np.asarray(request.get_json()["instances"], dtype=float)
    return jsonify(predictions=model.predict(x).tolist())

server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""

POST_LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "r")
wrk.body = f:read("*a")
f:close()
"""


def env() -> Dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("MLWB_RPC_PIPE", "MLWB_SERVE_TOKEN")}
    e["PYTHONPATH"] = str(RUNNER_DIR)
    return e


def read_line(proc: subprocess.Popen, timeout: float = 60) -> str:
    out: List[str] = []
    t = threading.Thread(target=lambda: out.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    t.start()
    t.join(timeout)
    if not out or not out[0]:
        proc.kill()
        raise SystemExit(f"server did not start: {proc.args}")
    return out[0]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def post(port: int, body: bytes, n: int = 20) -> None:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        c.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"warm-up request failed with {r.status}")
    c.close()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(port: int, lua: Path, seconds: int, conns: int) -> Dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(lua),
           f"http://127.0.0.1:{port}/invocations"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    res: Dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for q in ("50", "99"):
        res[f"p{q}"] = _ms(re.search(rf"^\s+{q}%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    if sock:
        res["errors"] += sum(float(g) for g in sock.groups())
    res["requests"] = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return res


def run_python_load(port: int, body: bytes, seconds: int, conns: int) -> Dict[str, float]:
    """A bounded loopback load: ``conns`` keep-alive clients for ``seconds``, each request timed."""
    lat: List[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        mine: List[float] = []
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                c.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1
            except Exception:
                errors[0] += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            mine.append((time.perf_counter() - t) * 1000)
        c.close()
        with lock:
            lat.extend(mine)

    t0 = time.monotonic()
    ts = [threading.Thread(target=client, daemon=True) for _ in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(seconds + 30)
    elapsed = time.monotonic() - t0
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")  # noqa: E731
    return {"rps": len(lat) / elapsed, "p50": pick(0.50), "p99": pick(0.99), "errors": float(errors[0]),
            "requests": float(len(lat))}


def load(port: int, body_file: Path, lua: Path, seconds: int, conns: int) -> Tuple[Dict[str, float], str]:
    if shutil.which("wrk"):
        return run_wrk(port, lua, seconds, conns), f"wrk -t2 -c{conns} -d{seconds}s"
    return run_python_load(port, body_file.read_bytes(), seconds, conns), f"{conns} Python keep-alive clients, {seconds} s"


def write_big_csv(path: Path, X: Any, rows: int) -> int:
    header = ",".join(f"f{i}" for i in range(X.shape[1])) + "\n"
    lines = [",".join(f"{v:.6g}" for v in row) + "\n" for row in X]
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        block = "".join(lines)
        full, rest = divmod(rows, len(lines))
        for _ in range(full):
            f.write(block)
        f.write("".join(lines[:rest]))
    return path.stat().st_size


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    conns = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    batch_rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_breast_cancer(return_X_y=True)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    figures: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="mlwb-bench-serve-") as tmp:
        root = Path(tmp)
        model_path = root / "rf.pkl"
        with open(model_path, "wb") as f:
            pickle.dump(model, f)
        body_file = root / "body.json"
        body_file.write_text(json.dumps({"instances": X[:1].tolist()}))
        lua = root / "post.lua"
        lua.write_text(POST_LUA.replace("{body}", str(body_file)))
        app = root / "flask_app.py"
        app.write_text(FLASK_APP)
        body = body_file.read_bytes()

        results: Dict[str, Dict[str, float]] = {}
        how = ""
        # Flask first, then ours: one server at a time.
        flask = subprocess.Popen([sys.executable, str(app), str(model_path)], env=env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        try:
            port = int(read_line(flask).strip())
            post(port, body)
            results["flask"], how = load(port, body_file, lua, seconds, conns)
        finally:
            stop(flask)
        ours = subprocess.Popen([sys.executable, "-m", "mlwb", "serve", "--model", str(model_path), "--port", "0"],
                                env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(RUNNER_DIR))
        try:
            ready = json.loads(read_line(ours))
            port = ready["port"]
            post(port, body)
            results["ours"], _ = load(port, body_file, lua, seconds, conns)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/metrics")
            metrics = json.loads(c.getresponse().read())
            c.close()
        finally:
            stop(ours)
        o, b = results["ours"], results["flask"]
        base = f"minimal threaded Flask (werkzeug make_server threaded=True), same model; {how}"
        label = f"serve RandomForest(100) breast_cancer, 1 row/request, {conns} connections"
        figures += [
            {"name": f"{label}: throughput", "value": round(o["rps"], 1), "unit": "req/s", "baseline": round(b["rps"], 1),
             "baseline_name": base, "ratio": round(o["rps"] / b["rps"], 2)},
            {"name": f"{label}: p50 latency", "value": round(o["p50"], 2), "unit": "ms", "baseline": round(b["p50"], 2),
             "baseline_name": base, "ratio": round(o["p50"] / b["p50"], 3)},
            {"name": f"{label}: p99 latency", "value": round(o["p99"], 2), "unit": "ms", "baseline": round(b["p99"], 2),
             "baseline_name": base, "ratio": round(o["p99"] / b["p99"], 3)},
            {"name": f"{label}: errors", "value": o["errors"], "unit": "requests", "baseline": b["errors"],
             "baseline_name": base, "ratio": None},
            {"name": f"{label}: mean requests per predict call (micro-batching)",
             "value": metrics["batching"]["mean_requests"], "unit": "requests", "baseline": 1,
             "baseline_name": "one predict per request (Flask)", "ratio": metrics["batching"]["mean_requests"]},
        ]

        if batch_rows > 0:
            csv_path = root / "big.csv"
            size = write_big_csv(csv_path, X, batch_rows)
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "mlwb", "predict", "--model", str(model_path), "--input",
                                str(csv_path)], env=env(), cwd=str(RUNNER_DIR), capture_output=True, text=True, timeout=600)
            wall = time.perf_counter() - t0
            ev = json.loads(r.stdout.strip().splitlines()[-1])
            if r.returncode != 0 or ev.get("rows") != batch_rows:
                raise SystemExit(f"predict failed: {r.stderr[-2000:]}")
            peak, before = ev.get("peakRssBytes"), ev.get("peakRssBeforeBytes")
            figures.append({"name": f"predict on a file: {batch_rows:,} rows x 30 features CSV ({size / 1e6:.0f} MB), "
                                    "RandomForest(100), chunks of 10,000",
                            "value": round(batch_rows / wall), "unit": "rows/s", "baseline": None,
                            "baseline_name": "", "ratio": None})
            if peak and before:
                figures.append({"name": "predict on a file: peak RSS growth while streaming it (peak RSS minus the peak "
                                        f"before reading, {before / 1e6:.0f} MB: Python + sklearn + pandas + model)",
                                "value": round((peak - before) / 1e6, 1), "unit": "MB", "baseline": round(size / 1e6, 1),
                                "baseline_name": "input file size", "ratio": round((peak - before) / size, 3)})
    print(json.dumps({"figures": figures}))


if __name__ == "__main__":
    main()
