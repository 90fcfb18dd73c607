"""Guarantee: whatever the extension side sends to the Python runner (bad frames, non-JSON, wrong params, replies to
nothing, huge messages), the runner answers or ignores it and the training goes on to a complete journal."""
from __future__ import annotations

import json
import os
import random
import sys
import textwrap
from pathlib import Path
from typing import Any, List

import pytest

from fake_extension import FakeExtension
from helpers import of_type, run_dirs, start_runner

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake extension uses a Unix socket")
SEED = int(os.environ.get("MLWB_FUZZ_SEED", "5150"))


def junk(r: random.Random, depth: int = 3) -> Any:
    kinds = [None, True, 0, -1, 1.5, 1e308, "", "__proto__", "x" * 300, "../../etc/passwd"]
    if depth > 0 and r.random() < 0.4:
        return r.choice([[junk(r, depth - 1) for _ in range(r.randint(0, 3))],
                         {r.choice(["reason", "__proto__", "a", "constructor"]): junk(r, depth - 1) for _ in range(r.randint(0, 3))}])
    return r.choice(kinds)


def test_bad_messages_from_the_extension_the_training_continues(store: Path, tmp_path: Path) -> None:
    r = random.Random(SEED)
    marker = tmp_path / "go"
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import os, time
        from mlwb import Experiment
        with Experiment("fuzz") as exp:
            i = 0
            deadline = time.time() + 60
            while not os.path.exists({str(marker)!r}) and time.time() < deadline:
                exp.metrics.log(step=i, loss=1.0 / (i + 1))
                i += 1
                time.sleep(0.005)
            exp.metrics.log(step=0, done=1)
            print("trained", i)
    """))
    ext = FakeExtension()
    try:
        proc = start_runner(script, store, ext)
        ext.wait_method("run/started")
        sent = 0
        requests: List[int] = []
        # run/cancel is left out: any params are a valid cancel (it would end the training on purpose).
        methods = ["system/info", "no/such", "runner/handshake", "run/started", "run/finished", "$/cancelRequest",
                   "$/setTrace", "__proto__", "", "system/info/x"]
        for i in range(1500):
            kind = r.random()
            if kind < 0.35:
                method = r.choice(methods)
                requests.append(ext.request(method, junk(r)) if r.random() < 0.5 else ext.request(method))
            elif kind < 0.55:
                ext.send({"jsonrpc": "2.0", "method": r.choice(methods), "params": junk(r)})
            elif kind < 0.7:  # replies to requests the runner never sent (or sent long ago)
                rid = r.choice([0, 1, 2, 3, 999, -1, "1", None, 1.5])
                ext.send({"jsonrpc": "2.0", "id": rid, r.choice(["result", "error"]): junk(r)})
            elif kind < 0.85:
                ext.send_raw(r.choice([b"{not json", b"", b"null", b"[]", b"[1,2]", b'"s"', b"\xff\xfe\x00",
                                       json.dumps({"id": 5, "method": "system/info"}).encode(),
                                       json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "system/info"}).encode(),
                                       bytes(r.getrandbits(8) for _ in range(r.randint(1, 200)))]))
            else:  # broken framing: the runner resynchronises on the next header
                ext.send_raw(b"{}", header=r.choice([b"Content-Length: banana\r\n\r\n", b"Content-Length: -3\r\n\r\n",
                                                      b"Content-Type: x\r\n\r\n", b"\r\n\r\n", b"Content-Length: 1e3\r\n\r\n"]))
            sent += 1
        # Huge: a 20 MB request.
        requests.append(ext.request("system/info", {"pad": "x" * (20 * 1024 * 1024)}))
        sent += 1

        # The channel still answers a good request, after all that.
        rid = ext.request("system/info", {})
        info = ext.wait_reply(rid, timeout=30)["result"]
        assert info["python"]["executable"] == sys.executable
        ext.wait_reply(requests[-1], timeout=30)
        unanswered = [q for q in requests if q not in ext.replies]
        assert not unanswered, f"seed {SEED}: requests never answered: {unanswered[:10]}"
        assert proc.poll() is None, "the training is still running"

        marker.write_text("go")
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        finished = ext.wait_method("run/finished")["params"]
        assert finished["status"] == "completed", finished
        (run_dir,) = run_dirs(store)
        metrics = [k for rec in of_type(run_dir, "metrics") for k in rec["series"]]
        assert "loss" in metrics and "done" in metrics, "the journal holds the whole training"
        assert [s["status"] for s in of_type(run_dir, "status")][-1] == "completed"
        print(f"fuzz: JSON-RPC to the runner: seed {SEED}, {sent} inputs ({len(requests)} requests, all answered), 0 crashes")
    finally:
        ext.close()
