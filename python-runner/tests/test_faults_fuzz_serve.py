"""Guarantee: malformed inference requests to the real ``python -m mlwb serve`` each get a clear 4xx with a JSON
error; the server never crashes and answers a valid request correctly afterwards."""
from __future__ import annotations

import http.client
import json
import math
import os
import pickle
import random
import socket
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

from serve_helpers import Served

SEED = int(os.environ.get("MLWB_FUZZ_SEED", "8080"))
N_FEATURES = 4


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("fuzz-serve") / "tree.pkl"
    path.write_bytes(pickle.dumps(model))
    server = Served(path, "--max-body-mb", "1", "--max-wait-ms", "0")
    yield server, model, X
    server.stop()


JSON = {"Content-Type": "application/json"}


def bad_requests(r: random.Random) -> Callable[[], Tuple[str, str, Any, Dict[str, str]]]:
    """One generator of a request that must be refused: (method, path, body, headers)."""
    row = lambda n: [round(r.uniform(0, 8), 2) for _ in range(n)]  # noqa: E731
    wrong_n = lambda: r.choice([1, 2, 3, 5, 6, 30, 500])  # noqa: E731
    odd = lambda: r.choice(["abc", "", None, [1, 2], {"a": 1}, [], "NaN", "1e999x", "\u0000", "one"])  # noqa: E731
    gens: List[Callable[[], Tuple[str, str, Any, Dict[str, str]]]] = [
        lambda: ("POST", "/invocations", bytes(r.getrandbits(8) for _ in range(r.randint(1, 300))), JSON),
        lambda: ("POST", "/invocations", json.dumps({"instances": [row(4)]})[: r.randint(1, 20)], JSON),
        lambda: ("POST", "/invocations", json.dumps(r.choice([None, 1, "x", [], [1, 2], True, 1.5])), JSON),
        lambda: ("POST", "/invocations", json.dumps({r.choice(["rows", "data", "__proto__", "X", ""]): [row(4)]}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"instances": [row(4)], "inputs": [row(4)]}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"instances": [row(wrong_n()) for _ in range(r.randint(1, 5))]}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"instances": [row(4), row(wrong_n())]}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"inputs": [[odd() if i == 2 else 1.0 for i in range(4)]]}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"instances": [[r.choice([math.nan, math.inf, -math.inf])] * 4]}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"instances": r.choice([{"a": 1}, "rows", 5, [[[1, 2], 3, 4, 5]]])}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"dataframe_split": r.choice([[1], {"columns": "a", "data": [[1]]}, {"data": "x"},
                                                                                   {"columns": ["a", "b"], "data": [[1, 2, 3]]}])}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"dataframe_records": r.choice([[1, 2], "x", [{"a": 1}], [{"0": 1}, None]])}), JSON),
        lambda: ("POST", "/invocations", json.dumps({"instances": [row(4)], "params": r.choice([[1], "x", {"method": "fit"},
                                                                                               {"method": "__class__"}])}), JSON),
        lambda: ("POST", "/invocations", "a,b\n1", {"Content-Type": "text/csv"}),
        lambda: ("POST", "/invocations", "x,y,z,w\n" + "\n".join(",".join(map(str, row(r.choice([3, 5])))) for _ in range(3)),
                 {"Content-Type": "text/csv"}),
        lambda: ("POST", "/invocations", json.dumps({"instances": [row(4)]}),
                 {"Content-Type": r.choice(["text/plain", "application/xml", "multipart/form-data", "application/json-x", "*/*"])}),
        lambda: ("POST", "/invocations", json.dumps({"instances": [row(4)] * 60000}), JSON),  # ~1.7 MB, over the 1 MiB limit
        lambda: (r.choice(["PUT", "DELETE", "PATCH", "GET"]), "/invocations", None, {}),
        lambda: (r.choice(["GET", "POST"]), r.choice(["/", "/../etc/passwd", "/invocations/..", "//invocations", "/%00", "/predict",
                                                      "/invocations/x", "/" + "a" * 3000]), "{}", JSON),
    ]
    return lambda: r.choice(gens)()


def raw(server: Served, data: bytes, timeout: float = 10) -> bytes:
    """Sends bytes as they are (bad request lines, cut bodies) and reads until the server closes or answers."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        return out


def test_malformed_requests_get_clear_4xx_and_the_server_keeps_serving(served) -> None:
    server, model, X = served
    r = random.Random(SEED)
    make = bad_requests(r)
    statuses: Dict[int, int] = {}
    conn = server.conn()
    n = 1500
    for i in range(n):
        method, path, body, headers = make()
        try:
            status, hdrs, data = server.request(method, path, body, headers, conn=conn)
        except (http.client.HTTPException, OSError):  # the server closed the keep-alive connection after an error: a new one
            conn.close()
            conn = server.conn()
            status, hdrs, data = server.request(method, path, body, headers, conn=conn)
        if hdrs.get("connection") == "close":
            conn.close()
            conn = server.conn()
        statuses[status] = statuses.get(status, 0) + 1
        assert 400 <= status < 500, f"seed {SEED}, request {i}: {method} {path} {str(body)[:200]!r} -> {status} {data[:300]!r}"
        assert hdrs.get("content-type", "").startswith("application/json"), (status, data[:200])
        err = json.loads(data)
        assert isinstance(err.get("error_code"), str) and isinstance(err.get("message"), str) and err["message"], err
    conn.close()

    # Broken HTTP itself: bad request lines, bad headers, cut bodies, a client that goes silent mid-body.
    wire = [
        b"GARBAGE\r\n\r\n", b"POST /invocations HTTP/9.9\r\n\r\n", b"POST /invocations\r\n\r\n", b"\x00\xff\xfe\r\n\r\n",
        b"POST /invocations HTTP/1.1\r\nContent-Length: banana\r\n\r\n{}",
        b"POST /invocations HTTP/1.1\r\nContent-Length: -5\r\nContent-Type: application/json\r\n\r\n{}",
        b"POST /invocations HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"instances\":",
        b"POST /invocations HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        b"POST /invocations HTTP/1.1\r\n" + b"X-Long: " + b"h" * 70000 + b"\r\n\r\n",
        b"GET /ping HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    ]
    for data in wire:
        reply = raw(server, data)
        if reply:  # a cut request may just be dropped when the client half-closes; an answer must be a 4xx
            assert reply.startswith(b"HTTP/1.1 4"), (data[:80], reply[:200])
    assert server.proc.poll() is None, "the server is still running"

    # A valid request is answered correctly afterwards.
    rows = X[::10].tolist()
    status, body = server.json("POST", "/invocations", {"instances": rows})
    assert status == 200 and body["predictions"] == model.predict(X[::10]).tolist()
    print(f"fuzz: inference requests: seed {SEED}, {n + len(wire)} inputs, statuses {dict(sorted(statuses.items()))}, 0 crashes")
