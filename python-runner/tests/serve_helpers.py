"""Starting ``python -m mlwb serve`` as the extension does (reading its ready line) and talking HTTP to it."""
from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

RUNNER_DIR = Path(__file__).resolve().parents[1]


def runner_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MLWB_RPC_PIPE", "MLWB_SERVE_TOKEN")}
    env["PYTHONPATH"] = str(RUNNER_DIR)
    env.update(extra or {})
    return env


def train_models(d: Path) -> Dict[str, Any]:
    """A RandomForest(100) on breast_cancer fitted on a DataFrame (so it knows its feature names)."""
    import pickle

    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    path = d / "rf.pkl"
    with open(path, "wb") as f:
        pickle.dump(model, f)
    return {"model": model, "path": path, "X": X, "y": y}


class Served:
    """One server subprocess. ``ready`` is the parsed ready line."""

    def __init__(self, model: Path, *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 60) -> None:
        cmd = [sys.executable, "-m", "mlwb", "serve", "--model", str(model), *args]
        self.proc = subprocess.Popen(cmd, env=runner_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=str(RUNNER_DIR))
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.stderr: List[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()
        self.ready = self.next_event(timeout)
        self.port = self.ready.get("port")
        self.host = self.ready.get("host", "127.0.0.1")

    @staticmethod
    def _pump(stream: Any, q: "queue.Queue[Optional[str]]") -> None:
        for line in stream:
            q.put(line)
        q.put(None)

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def next_event(self, timeout: float = 30) -> Dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event line within {timeout} s; stderr: {''.join(self.stderr)}")
        if line is None:
            self.proc.wait(10)
            raise AssertionError(f"stdout closed (exit {self.proc.returncode}); stderr: {''.join(self.stderr)}")
        return json.loads(line)

    def conn(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
                conn: Optional[http.client.HTTPConnection] = None) -> Tuple[int, Dict[str, str], bytes]:
        c = conn or self.conn()
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def json(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
             conn: Optional[http.client.HTTPConnection] = None) -> Tuple[int, Any]:
        status, hdrs, data = self.request(method, path, body, headers, conn)
        assert hdrs.get("content-type", "").startswith("application/json"), (status, hdrs, data)
        return status, json.loads(data)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def events_after_exit(self) -> List[Dict[str, Any]]:
        out = []
        while True:
            try:
                line = self.lines.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            out.append(json.loads(line))
        return out
