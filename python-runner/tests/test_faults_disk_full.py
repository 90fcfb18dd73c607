"""Guarantee: a journal write that fails (disk full) never raises into the script, says so once on stderr
(path + error), keeps what waits in memory up to a cap, and writes it first once it can.

/dev/full is a stand-in for a full disk where no tmpfs can be mounted; the real full disk (tmpfs, with
the store ingesting afterwards) is test/faults/disk-full.test.ts.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlwb import _journal
from mlwb._journal import Journal
from mlwb._records import record


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dev_full_stand_in_warns_once_and_never_raises(capsys: pytest.CaptureFixture[str]) -> None:
    j = Journal(Path("/dev/full"))
    for i in range(3):
        j.append_points([("loss", 1.0 / (i + 1))], step=i, t=0.0)
        j.flush()  # what a script's exp.flush() does: no exception
    j.close(record("status", status="completed"))
    err = capsys.readouterr().err
    assert err.count("mlwb: could not write /dev/full: [Errno 28] No space left on device. The run goes on") == 1
    assert "the run ended with" in err and "bytes of its journal unwritten" in err
    assert "Traceback" not in err


def test_what_waits_is_written_first_and_whole_once_writes_work(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "events.jsonl"
    j = Journal(path)
    real_write = os.write
    budget = {"left": 10}  # the disk takes 10 more bytes: a short write cuts the first line

    def full_disk(fd: int, data: bytes) -> int:
        if fd != j._fd or budget["left"] is None:
            return real_write(fd, data)
        if budget["left"] == 0:
            raise OSError(28, "No space left on device")
        n = real_write(fd, data[: budget["left"]])
        budget["left"] -= n
        return n

    monkeypatch.setattr(_journal.os, "write", full_disk)
    j.add(record("log", level="info", msg="first"))
    j.flush()
    j.add(record("log", level="info", msg="second"))
    j.flush()
    assert len(path.read_bytes()) == 10  # torn, for now
    budget["left"] = None  # space freed
    j.add(record("log", level="info", msg="third"))
    j.close(record("status", status="completed"))
    recs = [json.loads(line) for line in path.read_text().splitlines()]  # every line whole
    assert [r.get("msg", r["t"]) for r in recs] == ["first", "second", "third", "status"]
    err = capsys.readouterr().err
    assert err.count("could not write") == 1 and "is written again; nothing that waited was lost." in err


def test_over_the_cap_newer_lines_are_dropped_but_a_cut_line_is_completed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_journal, "MAX_UNWRITTEN_BYTES", 200)
    path = tmp_path / "events.jsonl"
    j = Journal(path)
    real_write = os.write
    state = {"full": True, "first": True}

    def full_disk(fd: int, data: bytes) -> int:
        if fd != j._fd or not state["full"]:
            return real_write(fd, data)
        if state["first"]:
            state["first"] = False
            return real_write(fd, data[:5])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_journal.os, "write", full_disk)
    for i in range(20):
        j.add(record("log", level="info", msg=f"line {i:02d} " + "x" * 40))
        j.flush()
    state["full"] = False
    j.close(None)
    text = path.read_text()
    assert text.endswith("\n")
    msgs = [json.loads(line)["msg"][:7] for line in text.splitlines()]  # every line whole
    assert msgs[0] == "line 00" and len(msgs) < 20  # the cut line completed; newer ones dropped at the cap
    assert msgs == sorted(msgs)
    err = capsys.readouterr().err
    assert "newer metrics and logs are dropped" in err and "bytes were dropped" in err
