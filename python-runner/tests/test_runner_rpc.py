"""The runner against a fake extension: JSON-RPC over a Unix socket with Content-Length frames."""
from __future__ import annotations

import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

from fake_extension import FakeExtension
from helpers import events, of_type, run_dirs, start_runner

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake extension uses a Unix socket")


def write(path: Path, code: str) -> Path:
    path.write_text(textwrap.dedent(code))
    return path


@pytest.fixture
def ext():
    e = FakeExtension()
    yield e
    e.close()


def test_message_sequence(store: Path, tmp_path: Path, ext: FakeExtension) -> None:
    script = write(tmp_path / "seq.py", """
        import time, mlwb
        from mlwb import Experiment
        from mlwb._ambient import send_event
        print("hello")
        for i in range(5):
            mlwb.progress(i + 1, 5, message="working")
        with Experiment("claimer") as exp:
            exp.metrics.log(x=1)
            exp.flush()
            send_event("trial", number=0, params={"lr": 0.1}, value=0.5, state="complete")
            time.sleep(0.3)
            exp.log("more")
            exp.flush()
    """)
    proc = start_runner(script, store, ext, ["--token", "s3cret"])
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "mlwb:" not in err
    ext.closed.wait(5)
    methods = ext.methods()
    assert methods[0] == "runner/handshake" and methods[1] == "run/started" and methods[-1] == "run/finished"
    assert "id" in ext.messages[-1], "run/finished is a request: the pipe closes only after the extension took it in"
    assert {"run/journalFlushed", "run/claimed", "run/progress", "run/log", "run/event"} <= set(methods)
    hs = ext.messages[0]["params"]
    assert hs["protocol"] == 1 and hs["runner"] == "0.1.0" and hs["pid"] == proc.pid
    assert {"cancel", "systemInfo", "sklearn.autolog"} <= set(hs["capabilities"])
    started = ext.messages[1]["params"]
    (run_dir,) = run_dirs(store)
    assert started["runId"] == run_dir.name and started["runDir"] == str(run_dir) and started["storeDir"] == str(store)
    assert started["argv"] == [str(script), "--token", "***"] and started["script"] == str(script)
    claimed = next(m for m in ext.messages if m.get("method") == "run/claimed")["params"]
    assert claimed == {"runId": run_dir.name, "experiment": {"id": "claimer", "name": "claimer"}}
    event = next(m for m in ext.messages if m.get("method") == "run/event")["params"]
    assert event["event"] == {"kind": "trial", "number": 0, "params": {"lr": 0.1}, "value": 0.5, "state": "complete"}
    progress = [m["params"] for m in ext.messages if m.get("method") == "run/progress"]
    assert progress[0]["current"] == 1 and progress[-1] == {"runId": run_dir.name, "current": 5, "total": 5, "message": "working"}
    offsets = [m["params"]["offset"] for m in ext.messages if m.get("method") == "run/journalFlushed"]
    assert offsets == sorted(set(offsets)) and len(offsets) >= 2
    assert offsets[-1] == (run_dir / "events.jsonl").stat().st_size  # the final flush: the whole journal
    assert methods[-2] == "run/journalFlushed"
    finished = ext.messages[-1]["params"]
    assert finished["runId"] == run_dir.name and finished["status"] == "completed" and finished["exitCode"] == 0
    assert finished["durationMs"] > 0
    assert "s3cret" not in str(ext.messages)


def test_failure_is_reported_in_finished(store: Path, tmp_path: Path, ext: FakeExtension) -> None:
    script = write(tmp_path / "fail.py", "raise RuntimeError('nope')\n")
    proc = start_runner(script, store, ext)
    proc.communicate(timeout=60)
    assert proc.returncode == 1
    finished = ext.wait_method("run/finished")["params"]
    assert finished["status"] == "failed" and finished["exitCode"] == 1 and finished["error"] == "RuntimeError: nope"
    assert "fail.py" in finished["traceback"]


def _inherit_sigint_blocked() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _inherit_sigint_ignored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# What the runner inherits from its parent: a normal terminal, a background job of a non-interactive shell
# (SIGINT ignored), a supervisor that blocks SIGINT (a CI run failed this way: the cancel never interrupted).
@pytest.mark.parametrize("inherited", [None, _inherit_sigint_ignored, _inherit_sigint_blocked],
                         ids=["default", "sigint-ignored", "sigint-blocked"])
def test_cancel_interrupts_a_long_script(store: Path, tmp_path: Path, ext: FakeExtension,
                                         inherited: Optional[Callable[[], None]]) -> None:
    script = write(tmp_path / "long.py", """
        import time
        print("sleeping", flush=True)
        time.sleep(120)
    """)
    proc = start_runner(script, store, ext, preexec_fn=inherited)
    ext.wait_method("run/started")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "sleeping"
    rid = ext.request("run/cancel", {"reason": "user clicked stop"})
    assert ext.wait_reply(rid)["result"] == {"accepted": True}
    finished = ext.wait_method("run/finished", timeout=60)["params"]
    assert proc.wait(timeout=60) == 130  # long before the script's 120 s sleep would end
    assert finished["status"] == "cancelled" and finished["exitCode"] == 130
    (run_dir,) = run_dirs(store)
    last = events(run_dir)[-1]
    assert (last["status"], last["exit_code"]) == ("cancelled", 130)
    err = proc.stderr.read() if proc.stderr else ""
    assert "cancelled from VS Code (user clicked stop)" in err
    reply_index = next(i for i, m in enumerate(ext.messages) if m.get("id") == rid and "method" not in m)
    assert reply_index < ext.messages.index(next(m for m in ext.messages if m.get("method") == "run/finished"))


def test_requests_errors_and_malformed_frames(store: Path, tmp_path: Path, ext: FakeExtension) -> None:
    marker = tmp_path / "go"
    script = write(tmp_path / "waiter.py", f"""
        import os, time
        deadline = time.time() + 60
        while not os.path.exists({str(marker)!r}) and time.time() < deadline:
            time.sleep(0.02)
        print("done waiting")
    """)
    proc = start_runner(script, store, ext)
    ext.wait_method("run/started")

    rid = ext.request("system/info", {})
    info = ext.wait_reply(rid)["result"]
    assert info["python"]["executable"] == sys.executable and info["cpuCount"] >= 1 and "packages" in info

    rid = ext.request("no/such/method", {})
    assert ext.wait_reply(rid)["error"]["code"] == -32601

    ext.send_raw(b"{this is not json")
    assert ext.wait_for(lambda m: "method" not in m and m.get("error", {}).get("code") == -32700)
    ext.send({"id": 77, "method": "system/info"})  # no "jsonrpc": "2.0"
    assert ext.wait_reply(77)["error"]["code"] == -32600
    ext.send_raw(b"{}", header=b"Content-Length: banana\r\n\r\n")  # a broken header...
    time.sleep(0.2)  # ...whose body arrives apart from the next frame
    rid = ext.request("system/info")
    assert "python" in ext.wait_reply(rid)["result"]
    ext.send_raw(b"{}", header=b"Content-Length: -3\r\n\r\n")  # and one right before the next frame
    ext.send({"jsonrpc": "2.0", "method": "$/setTrace", "params": {"value": "off"}})  # a notification: ignored
    rid = ext.request("system/info")
    assert "python" in ext.wait_reply(rid)["result"]  # the channel still works

    marker.write_text("go")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert ext.wait_method("run/finished")["params"]["status"] == "completed"
    (run_dir,) = run_dirs(store)
    assert [e["msg"] for e in of_type(run_dir, "log")] == ["done waiting"]


def test_handshake_refused_means_journal_only(store: Path, tmp_path: Path) -> None:
    ext = FakeExtension(accept_handshake=False)
    try:
        script = write(tmp_path / "s.py", "print('ok')\n")
        proc = start_runner(script, store, ext)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out == "ok\n"
        lines = [ln for ln in err.splitlines() if ln.startswith("mlwb:")]
        assert lines == ["mlwb: VS Code is not listening (handshake refused: test says no); tracking to the journal only"]
        assert ext.methods() == ["runner/handshake"]
        (run_dir,) = run_dirs(store)
        assert events(run_dir)[-1]["status"] == "completed"
    finally:
        ext.close()


def test_the_handshake_presents_the_session_secret_from_the_environment(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "s.py", "print('ok')\n")
    ext = FakeExtension(secret="s3cret-of-this-session")
    try:
        proc = start_runner(script, store, ext)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "not listening" not in err, err
        assert ext.messages[0]["params"]["secret"] == "s3cret-of-this-session"
        assert "run/finished" in ext.methods()
    finally:
        ext.close()
    ext = FakeExtension(secret="s3cret-of-this-session")
    try:
        proc = start_runner(script, store, ext, secret="a-guess")
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out == "ok\n"
        assert "handshake refused: wrong session secret" in err
        assert ext.methods() == ["runner/handshake"]
    finally:
        ext.close()


def test_silent_extension_times_out(store: Path, tmp_path: Path) -> None:
    ext = FakeExtension(answer_handshake=False)
    try:
        script = write(tmp_path / "s.py", "print('ok')\n")
        t0 = time.monotonic()
        proc = start_runner(script, store, ext)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and time.monotonic() - t0 > 4  # it waited for the handshake before giving up
        assert "VS Code is not listening (handshake failed" in err
    finally:
        ext.close()


def test_connection_lost_mid_run(store: Path, tmp_path: Path, ext: FakeExtension) -> None:
    script = write(tmp_path / "s.py", """
        import time
        from mlwb import dxp
        for i in range(20):
            dxp.metrics.log(x=i)
            dxp.flush()
            time.sleep(0.02)
        print("survived")
    """)
    proc = start_runner(script, store, ext)
    ext.wait_method("run/started")
    ext.close()  # VS Code goes away
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "survived" in out
    assert "lost the connection to VS Code" in err
    (run_dir,) = run_dirs(store)
    assert events(run_dir)[-1]["status"] == "completed"
