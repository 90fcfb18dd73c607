"""``python -m mlwb serve``: a real RandomForest(100) on breast_cancer served by a real subprocess."""
from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("numpy")

from serve_helpers import Served, train_models  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    return train_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def server(trained: Dict[str, Any]) -> Any:
    s = Served(trained["path"], "--max-body-mb", "1", "--name", "cancer", "--version", "3")
    yield s
    s.stop()


def rows(trained: Dict[str, Any], n: int, start: int = 0) -> Any:
    return trained["X"].iloc[start:start + n]


def expected(trained: Dict[str, Any], n: int, start: int = 0) -> List[int]:
    return trained["model"].predict(rows(trained, n, start)).tolist()


# -- the ready line and the simple endpoints -------------------------------------------------------

def test_ready_line(server: Served, trained: Dict[str, Any]) -> None:
    r = server.ready
    assert r["event"] == "ready" and r["host"] == "127.0.0.1" and isinstance(r["port"], int) and r["port"] > 0
    assert r["url"] == f"http://127.0.0.1:{r['port']}" and r["pid"] == server.proc.pid
    assert r["name"] == "cancer" and r["version"] == "3" and r["tokenRequired"] is False
    assert r["nFeatures"] == 30 and r["maxBodyBytes"] == 1024 * 1024


def test_ping_health_version(server: Served) -> None:
    assert server.request("GET", "/ping")[0] == 200
    status, health = server.json("GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["model"] == "cancer"
    status, _, body = server.request("GET", "/version")
    assert status == 200 and body.decode().count(".") == 2
    status, hdrs, body = server.request("HEAD", "/ping")
    assert status == 200 and body == b""


def test_metadata(server: Served, trained: Dict[str, Any]) -> None:
    status, meta = server.json("GET", "/metadata")
    assert status == 200
    assert meta["features"] == list(trained["X"].columns) and meta["n_features"] == 30
    assert meta["classes"] == [0, 1] and meta["task"] == "classification"
    assert meta["model_class"].endswith("RandomForestClassifier") and meta["format"] == "pickle"
    assert len(meta["sha256"]) == 64 and meta["name"] == "cancer" and meta["version"] == "3"
    assert meta["methods"] == ["predict", "predict_proba"] and meta["server"]["token_required"] is False


# -- every request format --------------------------------------------------------------------------

def test_dataframe_split(server: Served, trained: Dict[str, Any]) -> None:
    df = rows(trained, 7)
    body = {"dataframe_split": json.loads(df.to_json(orient="split"))}
    assert server.json("POST", "/invocations", body) == (200, {"predictions": expected(trained, 7)})
    # columns in another order are matched by name
    rev = df[df.columns[::-1]]
    body = {"dataframe_split": {"columns": list(rev.columns), "data": rev.values.tolist()}}
    assert server.json("POST", "/invocations", body) == (200, {"predictions": expected(trained, 7)})


def test_dataframe_records(server: Served, trained: Dict[str, Any]) -> None:
    body = {"dataframe_records": rows(trained, 5, 100).to_dict(orient="records")}
    assert server.json("POST", "/invocations", body) == (200, {"predictions": expected(trained, 5, 100)})


def test_instances_and_inputs(server: Served, trained: Dict[str, Any]) -> None:
    df = rows(trained, 4, 200)
    want = (200, {"predictions": expected(trained, 4, 200)})
    assert server.json("POST", "/invocations", {"instances": df.values.tolist()}) == want
    assert server.json("POST", "/invocations", {"inputs": df.values.tolist()}) == want
    assert server.json("POST", "/invocations", {"instances": df.to_dict(orient="records")}) == want
    assert server.json("POST", "/invocations", {"inputs": df.to_dict(orient="list")}) == want
    one = server.json("POST", "/invocations", {"instances": df.values[0].tolist()})  # a flat list: one row
    assert one == (200, {"predictions": want[1]["predictions"][:1]})


def test_csv(server: Served, trained: Dict[str, Any]) -> None:
    df = rows(trained, 6, 300)
    want = (200, {"predictions": expected(trained, 6, 300)})
    hdr = {"Content-Type": "text/csv"}
    assert server.json("POST", "/invocations", df.to_csv(index=False), hdr) == want
    assert server.json("POST", "/invocations", df.to_csv(index=False, header=False), hdr) == want
    assert server.json("POST", "/invocations", df[df.columns[::-1]].to_csv(index=False),
                       {"Content-Type": "text/csv; charset=utf-8"}) == want


def test_predict_proba(server: Served, trained: Dict[str, Any]) -> None:
    df = rows(trained, 3)
    want = trained["model"].predict_proba(df).tolist()
    for path, body in (("/invocations?proba=1", {"instances": df.values.tolist()}),
                       ("/invocations", {"instances": df.values.tolist(), "params": {"method": "predict_proba"}}),
                       ("/invocations", {"dataframe_records": df.to_dict(orient="records"), "params": {"proba": True}})):
        status, out = server.json("POST", path, body)
        assert status == 200
        assert [pytest.approx(r) for r in want] == out["predictions"]


def test_empty_input(server: Served) -> None:
    assert server.json("POST", "/invocations", {"instances": []}) == (200, {"predictions": []})


# -- errors ---------------------------------------------------------------------------------------

def check_error(result: Any, status: int, code: str) -> Dict[str, Any]:
    got_status, body = result
    assert got_status == status, body
    assert body["error_code"] == code and isinstance(body["message"], str) and body["message"]
    return body


def test_415(server: Served, trained: Dict[str, Any]) -> None:
    data = json.dumps({"instances": rows(trained, 1).values.tolist()})
    for ctype in ("text/plain", "application/x-www-form-urlencoded", None):
        hdrs = {"Content-Type": ctype} if ctype else {}
        check_error(server.json("POST", "/invocations", data, hdrs), 415, "UNSUPPORTED_MEDIA_TYPE")


def test_400(server: Served) -> None:
    hdr = {"Content-Type": "application/json"}
    body = check_error(server.json("POST", "/invocations", '{"instances": [[1, 2', hdr), 400, "MALFORMED_REQUEST")
    assert "malformed JSON" in body["message"]
    check_error(server.json("POST", "/invocations", "\xff\xfe", hdr), 400, "MALFORMED_REQUEST")
    body = check_error(server.json("POST", "/invocations", {"rows": [[1]]}), 400, "BAD_REQUEST")
    assert "dataframe_split" in body["message"]
    check_error(server.json("POST", "/invocations", {"instances": [[1]], "inputs": [[1]]}), 400, "BAD_REQUEST")
    check_error(server.json("POST", "/invocations", [1, 2]), 400, "BAD_REQUEST")
    check_error(server.json("POST", "/invocations", {"dataframe_split": [[1]]}), 400, "BAD_REQUEST")


def test_422_missing_and_extra_features(server: Served, trained: Dict[str, Any]) -> None:
    df = rows(trained, 2)
    missing = df.drop(columns=["mean radius", "worst area"])
    body = check_error(server.json("POST", "/invocations", {"dataframe_split": json.loads(missing.to_json(orient="split"))}),
                       422, "INVALID_PARAMETER_VALUE")
    assert body["missing_features"] == ["mean radius", "worst area"] and body["extra_features"] == []
    assert body["expected_features"] == list(trained["X"].columns)
    assert "mean radius" in body["message"] and "worst area" in body["message"]

    extra = df.assign(patient_id=[1, 2])
    body = check_error(server.json("POST", "/invocations", {"dataframe_records": extra.to_dict(orient="records")}),
                       422, "INVALID_PARAMETER_VALUE")
    assert body["extra_features"] == ["patient_id"] and body["missing_features"] == []
    assert "patient_id" in body["message"]

    body = check_error(server.json("POST", "/invocations", {"instances": [[1.0] * 29]}), 422, "INVALID_PARAMETER_VALUE")
    assert "30 features" in body["message"] and body["n_features"] == 30
    check_error(server.json("POST", "/invocations", {"instances": [[1.0] * 30, [1.0] * 29]}), 422, "INVALID_PARAMETER_VALUE")
    csv_missing = missing.to_csv(index=False)
    body = check_error(server.json("POST", "/invocations", csv_missing, {"Content-Type": "text/csv"}), 422,
                       "INVALID_PARAMETER_VALUE")
    assert body["missing_features"] == ["mean radius", "worst area"]


def test_422_values_the_model_cannot_take(server: Served) -> None:
    body = check_error(server.json("POST", "/invocations", {"instances": [["abc"] * 30]}), 422, "INVALID_PARAMETER_VALUE")
    assert "could not" in body["message"]
    check_error(server.json("POST", "/invocations", {"instances": [[1.0] * 30], "params": {"method": "fit"}}),
                422, "INVALID_PARAMETER_VALUE")


def test_413_then_still_serving(server: Served, trained: Dict[str, Any]) -> None:
    big = json.dumps({"instances": [[1.0] * 30] * 20000})  # ~2.4 MB over the 1 MiB limit
    assert len(big) > 1024 * 1024
    status, hdrs, data = server.request("POST", "/invocations", big, {"Content-Type": "application/json"})
    assert status == 413 and json.loads(data)["error_code"] == "REQUEST_TOO_LARGE"
    assert hdrs.get("connection") == "close"
    want = (200, {"predictions": expected(trained, 1)})
    assert server.json("POST", "/invocations", {"instances": rows(trained, 1).values.tolist()}) == want


def test_404_and_405(server: Served) -> None:
    check_error(server.json("GET", "/nope"), 404, "ENDPOINT_NOT_FOUND")
    check_error(server.json("POST", "/predict", {"instances": []}), 404, "ENDPOINT_NOT_FOUND")
    status, hdrs, data = server.request("GET", "/invocations")
    assert status == 405 and hdrs["allow"] == "POST" and json.loads(data)["error_code"] == "METHOD_NOT_ALLOWED"
    status, hdrs, _ = server.request("POST", "/ping", "{}", {"Content-Type": "application/json"})
    assert status == 405 and "GET" in hdrs["allow"]
    check_error(server.json("DELETE", "/metadata"), 405, "METHOD_NOT_ALLOWED")


# -- HTTP details ---------------------------------------------------------------------------------

def raw(server: Served, data: bytes, until: bytes = b"", timeout: float = 10) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if until and until in out:
                break
        return out


def test_keep_alive_reuses_one_connection(server: Served, trained: Dict[str, Any]) -> None:
    c = server.conn()
    c.connect()
    local = c.sock.getsockname()
    for i in range(5):
        assert server.json("POST", "/invocations", {"instances": rows(trained, 1, i).values.tolist()}, conn=c) \
            == (200, {"predictions": expected(trained, 1, i)})
        assert c.sock is not None and c.sock.getsockname() == local
    c.close()


def test_raw_http_chunked_expect_pipelined_and_bad_lines(server: Served, trained: Dict[str, Any]) -> None:
    body = json.dumps({"instances": rows(trained, 2).values.tolist()}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100]) for i in range(0, len(body), 100))
    req = (b"POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked + b"0\r\n\r\n")
    out = raw(server, req)
    assert out.startswith(b"HTTP/1.1 200") and json.dumps(expected(trained, 2)).replace(" ", "").encode() in out

    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(body)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")

    two = b"GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    out = raw(server, two)
    assert out.count(b"HTTP/1.1 200 OK") == 2 and b'"status":"ok"' in out

    out = raw(server, b"GARBAGE\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400") and b"BAD_REQUEST" in out
    out = raw(server, b"GET /ping HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200") and b"Connection: close" in out


# -- concurrency, batching, metrics ---------------------------------------------------------------

def test_concurrent_load_zero_errors_and_batching(server: Served, trained: Dict[str, Any]) -> None:
    X = trained["X"]
    want = trained["model"].predict(X).tolist()
    threads, per_thread = 16, 50
    errors: List[Any] = []
    wrong: List[Any] = []

    def client(t: int) -> None:
        c = server.conn()
        try:
            for i in range(per_thread):
                k = (t * per_thread + i) % len(X)
                n = 1 + (i % 3)
                idx = [(k + j) % len(X) for j in range(n)]
                status, out = server.json("POST", "/invocations", {"instances": X.values[idx].tolist()}, conn=c)
                if status != 200:
                    errors.append((status, out))
                elif out["predictions"] != [want[j] for j in idx]:
                    wrong.append((idx, out))
        except Exception as e:  # noqa: BLE001 - any failure is an error of the server
            errors.append(repr(e))
        finally:
            c.close()

    before = server.json("GET", "/metrics")[1]
    ts = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not [t for t in ts if t.is_alive()], "every client got its answers"
    assert errors == [] and wrong == []
    after = server.json("GET", "/metrics")[1]
    assert after["requests_by_path"]["/invocations"] - before["requests_by_path"].get("/invocations", 0) == threads * per_thread
    b = after["batching"]
    assert b["max_requests"] > 1, b  # concurrent requests were gathered into one predict
    assert b["batches"] - before["batching"]["batches"] < threads * per_thread
    assert b["max_rows"] <= 64


def test_metrics(server: Served, trained: Dict[str, Any]) -> None:
    server.json("POST", "/invocations", {"instances": rows(trained, 2).values.tolist()})
    server.json("POST", "/invocations", "{", {"Content-Type": "application/json"})
    status, m = server.json("GET", "/metrics")
    assert status == 200
    assert m["requests"] >= 3 and m["errors"] >= 1 and m["errors_by_status"]["400"] >= 1
    lat = m["latency_ms"]
    assert lat["count"] >= 1 and 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert m["predictions"] >= 2 and m["model"] == "cancer" and m["version"] == "3"
    assert m["batching"]["max_batch"] == 64 and m["batching"]["max_wait_ms"] == 5
    assert {"throughput_rps", "throughput_rps_mean", "uptime_s", "in_flight", "connections"} <= set(m)
    status, hdrs, text = server.request("GET", "/metrics", headers={"Accept": "text/plain"})
    assert status == 200 and hdrs["content-type"].startswith("text/plain")
    assert b'mlwb_requests_total{status="200"}' in text and b'mlwb_invocation_latency_seconds{quantile="0.99"}' in text


# -- tokens, signals, failures --------------------------------------------------------------------

def test_non_loopback_host_needs_a_token(trained: Dict[str, Any]) -> None:
    for host in ("0.0.0.0", "192.0.2.1", "example.org"):
        s = Served(trained["path"], "--host", host)
        assert s.ready["event"] == "error" and "token" in s.ready["error"]
        assert s.proc.wait(30) == 2
        assert any("token" in line for line in s.stderr)


def test_token_and_sigterm(trained: Dict[str, Any]) -> None:
    s = Served(trained["path"], env={"MLWB_SERVE_TOKEN": "s3cret"})
    try:
        assert s.ready["tokenRequired"] is True
        body = {"instances": trained["X"].values[:1].tolist()}
        status, hdrs, data = s.request("POST", "/invocations", json.dumps(body), {"Content-Type": "application/json"})
        assert status == 401 and json.loads(data)["error_code"] == "UNAUTHENTICATED" and hdrs["www-authenticate"] == "Bearer"
        assert s.json("GET", "/metadata", headers={"Authorization": "Bearer wrong"})[0] == 401
        ok = s.json("POST", "/invocations", body, {"Authorization": "Bearer s3cret"})
        assert ok == (200, {"predictions": trained["model"].predict(trained["X"].iloc[:1]).tolist()})
        # an idle keep-alive connection must not hold the shutdown up
        idle = s.conn()
        idle.connect()
    finally:
        code = s.stop(timeout=10)  # killed (code -9) if the idle connection held the shutdown up
    assert code == 0
    events = s.events_after_exit()
    assert events and events[-1]["event"] == "stopped" and events[-1]["reason"] == "signal"


def test_fatal_errors_are_reported(tmp_path: Path, trained: Dict[str, Any]) -> None:
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    s = Served(bad)
    assert s.ready["event"] == "error" and "could not load" in s.ready["error"]
    assert s.proc.wait(30) == 1
    s = Served(tmp_path / "missing.pkl")
    assert s.ready["event"] == "error" and s.proc.wait(30) == 1

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        s = Served(trained["path"], "--port", str(taken.getsockname()[1]))
        assert s.ready["event"] == "error" and "could not listen" in s.ready["error"]
        assert s.proc.wait(30) == 1


def test_413_is_read_by_a_client_that_sends_the_whole_body(server: Served) -> None:
    body = b"[" + b"1," * (1024 * 1024) + b"1]"  # 2 MiB: over the 1 MiB limit
    with socket.create_connection((server.host, server.port), timeout=20) as s:
        s.sendall(b"POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        s.sendall(body)  # the server drops it (no reset) after answering
        out = b""
        while b"}" not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    assert out.startswith(b"HTTP/1.1 413") and b"REQUEST_TOO_LARGE" in out
