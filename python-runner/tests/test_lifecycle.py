"""Run lifecycle: context managers, decorator, manual control, statuses, manifest, store discovery."""
from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

import pytest

from helpers import manifest, of_type, run_dirs
from mlwb import Experiment, resolve_store


def statuses(run_dir: Path) -> list:
    return [(r["status"], r.get("error")) for r in of_type(run_dir, "status")]


def test_run_context_manager_completes(store: Path) -> None:
    with Experiment("alice/proj/vision/cnn/exp-1", root=store, readme="r", tags=["a"]).run as exp:
        assert exp.status == "running" and exp.id is not None
    assert statuses(exp.run_dir) == [("running", None), ("completed", None)]
    assert exp.status == "completed"
    assert (exp.owner, exp.project, exp.folder, exp.name, exp.readme, exp.tags) == (
        "alice", "proj", "vision/cnn", "exp-1", "r", ["a"])


def test_exception_marks_failed_with_traceback(store: Path) -> None:
    exp = Experiment("boom", root=store)
    with pytest.raises(ZeroDivisionError):
        with exp:
            1 / 0
    last = of_type(exp.run_dir, "status")[-1]
    assert last["status"] == "failed" and last["error"].startswith("ZeroDivisionError")
    assert "Traceback" in last["traceback"] and "1 / 0" in last["traceback"]


def test_keyboard_interrupt_marks_cancelled(store: Path) -> None:
    exp = Experiment("ctrl-c", root=store)
    with pytest.raises(KeyboardInterrupt):
        with exp.run:
            raise KeyboardInterrupt
    assert statuses(exp.run_dir)[-1] == ("cancelled", None)


def test_decorator_passes_the_experiment(store: Path) -> None:
    exp = Experiment("deco", root=store)

    @exp.run
    def train(e: Experiment, epochs: int) -> str:
        assert e is exp
        e.metrics.log(epoch=epochs, loss=0.1)
        return "done"

    assert train(3) == "done" and train.__name__ == "train"
    assert statuses(exp.run_dir)[-1] == ("completed", None)


def test_manual_lifecycle_and_restart(store: Path) -> None:
    exp = Experiment("manual", root=store)
    exp.run.start()
    assert exp.run.start() is exp  # idempotent while open
    first = exp.id
    exp.run.complete()
    exp.run.complete()  # no-op once ended
    exp.start()
    assert exp.id != first  # a restart is a new run
    exp.fail("diverged")
    exp.run.start()
    exp.run.cancel()
    dirs = run_dirs(store)
    assert len(dirs) == 3
    assert sorted(statuses(d)[-1] for d in dirs) == sorted([("completed", None), ("failed", "diverged"), ("cancelled", None)])


def test_fail_inside_except_uses_current_exception(store: Path) -> None:
    exp = Experiment("except", root=store).start()
    try:
        raise ValueError("bad data")
    except ValueError:
        exp.run.fail()
    last = of_type(exp.run_dir, "status")[-1]
    assert last["error"] == "ValueError: bad data" and "raise ValueError" in last["traceback"]


def test_manifest_contents(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLWB_TEST_SECRET", "s3cr3t-value-93f1")
    with Experiment("proj/m", root=store, run_name="my run", metadata={"k": 1}) as exp:
        pass
    m = manifest(exp.run_dir)
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", m["id"]) and m["id"] == exp.run_dir.name
    assert m["v"] == 1 and m["name"] == "my run" and m["pid"] == os.getpid() and m["host"] == socket.gethostname()
    assert m["experiment"] == {"id": "proj/m", "name": "m", "project": "proj", "metadata": {"k": 1}}
    assert m["argv"] == sys.argv and m["cwd"] == os.getcwd() and m["python"]["executable"] == sys.executable
    assert "s3cr3t-value-93f1" not in (exp.run_dir / "run.json").read_text()
    assert not list(exp.run_dir.glob(".*tmp"))


def test_run_ids_are_unique_and_sortable(store: Path) -> None:
    ids = [Experiment("ids", root=store).start().complete().id for _ in range(20)]
    assert len(set(ids)) == 20
    assert all(a[:15] <= b[:15] for a, b in zip(ids, ids[1:]))


def test_store_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_store() == tmp_path / ".mlwb"  # nothing found: ./.mlwb
    (tmp_path / ".mlwb").mkdir()
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    assert resolve_store() == tmp_path / ".mlwb"  # nearest in a parent
    assert resolve_store(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.setenv("MLWB_STORE", str(tmp_path / "from-env"))
    assert resolve_store(tmp_path / "explicit") == tmp_path / "from-env"
    with Experiment("env") as exp:
        pass
    assert exp.run_dir.parent == tmp_path / "from-env" / "runs"


def test_empty_name_is_rejected() -> None:
    with pytest.raises(ValueError):
        Experiment(" / ")
