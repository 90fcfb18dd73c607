"""Guarantee: the model server answers only requests whose Host is a loopback name or the host it was started
with (a web page whose DNS name points at 127.0.0.1 gets 403: DNS rebinding). The loopback rule and the Host
cases are one table (data/serve/loopback-cases.json) that the TypeScript unit tests run too."""
from __future__ import annotations

import json
import pickle
import socket
from pathlib import Path

import pytest

from mlwb._serve import host_allowed, is_loopback

CASES = json.loads((Path(__file__).parent / "data" / "serve" / "loopback-cases.json").read_text())


@pytest.mark.parametrize("host,expected", CASES["isLoopback"])
def test_loopback_rule(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.parametrize("header,bind,expected", CASES["hostAllowed"])
def test_host_allow_list(header: str, bind: str, expected: bool) -> None:
    assert host_allowed(header, bind) is expected


def _raw(port: int, host_line: str) -> tuple:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET /health HTTP/1.1\r\n{host_line}Connection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_the_real_server_refuses_a_rebound_host_with_403_json(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    from serve_helpers import Served

    d = load_iris()
    model = tmp_path / "m.pkl"
    model.write_bytes(pickle.dumps(DecisionTreeClassifier(max_depth=1).fit(d.data, d.target)))
    served = Served(model)
    try:
        port = served.port
        status, body = _raw(port, f"Host: evil.example:{port}\r\n")
        assert status == 403
        err = json.loads(body)
        assert err["error_code"] == "PERMISSION_DENIED" and "evil.example" in err["message"]
        for ok in (f"localhost:{port}", f"127.0.0.1:{port}", "[::1]"):
            status, body = _raw(port, f"Host: {ok}\r\n")
            assert status == 200 and json.loads(body)["status"] == "ok", ok
        status, _ = _raw(port, "")  # no Host (HTTP/1.0-style tools): not a browser
        assert status == 200
    finally:
        served.stop()
