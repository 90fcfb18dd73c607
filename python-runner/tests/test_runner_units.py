"""Units of the runner: the secrets rule, the stdout/stderr tee, the claim, JSON-RPC framing."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import List

import pytest

from helpers import events, manifest, of_type
from mlwb import Experiment, _ambient, progress
from mlwb._capture import LINE_CAP, TeeStream, last_state
from mlwb._protocol import PROTOCOL_VERSION
from mlwb._rpc import _content_length, frame
from mlwb._secrets import looks_secret, mask_argv


# -- secrets ------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, expected", [
    (["t.py", "--api-key", "abc"], ["t.py", "--api-key", "***"]),
    (["t.py", "--token=abc", "--lr=0.1"], ["t.py", "--token=***", "--lr=0.1"]),
    (["t.py", "password=hunter2", "db.auth_token=x"], ["t.py", "password=***", "db.auth_token=***"]),
    (["t.py", "--SECRET", "s", "--epochs", "3"], ["t.py", "--SECRET", "***", "--epochs", "3"]),
    (["t.py", "--aws-credentials", "--verbose"], ["t.py", "--aws-credentials", "--verbose"]),  # a flag, not a value
    (["t.py", "--passwd", "p", "-k", "v"], ["t.py", "--passwd", "***", "-k", "v"]),
    (["t.py", "--db", "postgres://bob:pw123@host/db"], ["t.py", "--db", "postgres://bob:***@host/db"]),
    (["t.py", "data.csv", "--lr", "0.1"], ["t.py", "data.csv", "--lr", "0.1"]),
])
def test_mask_argv(argv: List[str], expected: List[str]) -> None:
    assert mask_argv(argv) == expected


def test_looks_secret_names() -> None:
    for name in ("GITHUB_TOKEN", "api_key", "AWS_SECRET_ACCESS_KEY", "db-password", "PASSWD", "gcp_credential", "AUTH"):
        assert looks_secret(name), name
    for name in ("epochs", "lr", "PATH", "data_dir"):
        assert not looks_secret(name), name


# -- the tee ------------------------------------------------------------------------------------

class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _tee(name: str = "stdout"):
    out = _Tty()
    got: List[dict] = []
    tee = TeeStream(out, name, lambda text: got.extend(json.loads(x) for x in text.splitlines()))
    return tee, out, got


def test_tee_writes_through_and_logs_lines() -> None:
    tee, out, got = _tee()
    print("hello", "world", file=tee)
    tee.write("part")
    tee.write("ial\nsecond\n\nthird")
    assert out.getvalue() == "hello world\npartial\nsecond\n\nthird"
    assert [g["msg"] for g in got] == ["hello world", "partial", "second"]
    tee.finish()
    assert [g["msg"] for g in got][-1] == "third"
    assert all(g["t"] == "log" and g["level"] == "info" and g["stream"] == "stdout" for g in got)
    assert tee.isatty() and tee.getvalue() == out.getvalue()  # everything else is the original's


def test_tee_keeps_last_state_of_progress_bars() -> None:
    tee, out, got = _tee("stderr")
    for i in range(1000):
        tee.write(f"\r{i}/999")
    assert len(tee._parts) == 1 and tee._plen < 20  # never accumulates the refreshes
    tee.write("\n")
    tee.write("\r    \r")  # a bar that clears itself (tqdm leave=False) logs nothing
    tee.write("next\r\n")  # CRLF
    assert [(g["msg"], g["level"]) for g in got] == [("999/999", "error"), ("next", "error")]
    assert last_state("a\rb\r") == "b"


def test_tee_caps_long_lines_without_holding_them() -> None:
    tee, out, got = _tee()
    for _ in range(100):
        tee.write("y" * 10_000)
    assert tee._plen <= LINE_CAP
    tee.write("\nshort\n")
    assert got[0]["msg"].endswith("[... line truncated by mlwb]") and len(got[0]["msg"]) < LINE_CAP + 100
    assert got[1]["msg"] == "short"


def test_tee_survives_a_broken_sink() -> None:
    out = _Tty()

    def sink(text: str) -> None:
        raise RuntimeError("journal gone")

    tee = TeeStream(out, "stdout", sink)
    tee.write("a\n")
    tee.write("b\n")
    assert out.getvalue() == "a\nb\n"


# -- the claim ----------------------------------------------------------------------------------

class _Listener:
    def __init__(self) -> None:
        self.calls: List[tuple] = []

    def on_claimed(self, exp, name):
        self.calls.append(("claimed", exp._ref["id"], name))

    def on_progress(self, current, total, message):
        self.calls.append(("progress", current, total, message))

    def on_event(self, event):
        self.calls.append(("event", event))

    def on_log(self, level, message):
        self.calls.append(("log", level, message))


def test_first_experiment_claims_the_runner_run(store: Path) -> None:
    runner = Experiment("script", root=store).start()
    listener = _Listener()
    _ambient.offer(runner, store, listener)
    try:
        a = Experiment("team/a", root=store, run_name="A")
        a.params.set(lr=0.5)
        a.start()
        assert a.id == runner.id and a.run_dir == runner.run_dir and runner._run is None
        assert _ambient.owner() is a
        b = Experiment("b", root=store).start()  # later ones: their own runs
        assert b.id != a.id
        other = Experiment("c", root=store / "elsewhere").start()  # another store never claims
        assert other.run_dir.parent.parent == store / "elsewhere"
        progress(3, 10, "step")
        _ambient.send_event("trial", number=1, value=0.5)
        a.complete()
        assert _ambient.owner() is None  # the runner's run has ended
        b.complete()
        other.complete()
    finally:
        _ambient.withdraw()
    recs = events(a.run_dir)
    assert [r["t"] for r in recs][:3] == ["status", "claimed", "params"]
    assert recs[1]["experiment"] == {"id": "team/a", "name": "a", "project": "team"} and recs[1]["name"] == "A"
    assert [r["status"] for r in of_type(a.run_dir, "status")] == ["running", "completed"]
    assert manifest(a.run_dir)["experiment"]["id"] == "script"
    assert listener.calls == [("claimed", "team/a", "A"), ("progress", 3.0, 10.0, "step"),
                              ("event", {"kind": "trial", "number": 1, "value": 0.5})]


def test_without_runner_progress_is_a_noop_and_nothing_claims(store: Path) -> None:
    progress(1, 2)
    with pytest.raises(TypeError):
        progress("a lot")
    exp = Experiment("x", root=store).start()
    assert not of_type(exp.run_dir, "claimed")
    exp.complete()


# -- framing ------------------------------------------------------------------------------------

def test_frame_and_header_parsing() -> None:
    data = frame({"jsonrpc": "2.0", "method": "run/log", "params": {"message": "é"}})
    head, _, body = data.partition(b"\r\n\r\n")
    assert _content_length(head) == len(body) and json.loads(body)["params"]["message"] == "é"
    assert _content_length(b"Content-Type: x\r\ncontent-length: 12") == 12
    assert _content_length(b"Content-Length: nope") is None and _content_length(b"X: 1") is None
    assert PROTOCOL_VERSION == 1


def test_redactor_masks_secret_values_longest_first_and_leaves_common_words() -> None:
    from mlwb._secrets import Redactor, secret_values

    env = {"HF_TOKEN": "hf_abcdef123456", "FEATURE_FLAG_AUTH": "true", "SHORT_KEY": "abc", "PLAIN": "plainvalue",
           "FROM_ENV_FILE": "db-pass-2024", "MLWB_SECRET_ENV": "FROM_ENV_FILE"}
    argv = ["train.py", "--api-key", "k-999999", "--db=postgres://me:pw123456@db/x", "password=hunter22"]
    values = secret_values(env, argv)
    assert set(values) >= {"hf_abcdef123456", "db-pass-2024", "k-999999", "pw123456", "hunter22"}
    assert "plainvalue" not in values
    redact = Redactor(values + ["hf_abcdef"])  # a secret inside a longer one: the longer is masked whole
    line = "hf_abcdef123456 true abc plainvalue db-pass-2024 k-999999 me:pw123456@db hunter22"
    assert redact(line) == "*** true abc plainvalue *** *** me:***@db ***"
    assert Redactor([])("unchanged") == "unchanged"
