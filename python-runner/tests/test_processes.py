"""Real processes: SIGKILL mid-run, concurrent writers, dxp auto-start, exit handling, git capture."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import env_for, events, manifest, of_type, run_dirs, run_script, series


def write(path: Path, code: str) -> Path:
    path.write_text(textwrap.dedent(code))
    return path


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_keeps_everything_flushed_before(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "killed.py", """
        import sys
        from mlwb import Experiment
        exp = Experiment("killed").start()
        i = 0
        while True:
            exp.metrics("train").log(step=i, loss=i * 0.5)
            exp.log(f"step {i}")
            if i % 500 == 0:
                exp.flush()
                print(i, flush=True)  # everything up to step i is on disk now
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, str(script)], env=env_for(store), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    confirmed = -1
    for line in proc.stdout:
        confirmed = int(line)
        if confirmed >= 5000:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    (run_dir,) = run_dirs(store)
    text = (run_dir / "events.jsonl").read_text()
    lines = text.split("\n")
    complete, last = lines[:-1], lines[-1]
    recs = [json.loads(x) for x in complete]  # every whole line parses
    if last:  # the only allowed defect: a torn final line
        with pytest.raises(ValueError):
            json.loads(last)
    steps = [s for r in recs if r["t"] == "metrics" for s in r["series"]["train/loss"]["step"]]
    assert steps == list(range(len(steps))) and len(steps) > confirmed
    msgs = [r["msg"] for r in recs if r["t"] == "log"]
    assert msgs[: confirmed + 1] == [f"step {i}" for i in range(confirmed + 1)]
    assert [r["status"] for r in recs if r["t"] == "status"] == ["running"]  # the extension will call it crashed
    assert manifest(run_dir)["pid"] == proc.pid


def test_two_processes_same_store_lose_nothing(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "writer.py", """
        import sys
        from mlwb import Experiment
        tag = sys.argv[1]
        with Experiment("concurrent", run_name=tag) as exp:
            for i in range(20000):
                exp.metrics("m").log(step=i, v=i)
                if i % 1000 == 0:
                    exp.log(f"{tag} {i}")
    """)
    procs = [subprocess.Popen([sys.executable, str(script), tag], env=env_for(store)) for tag in ("a", "b")]
    assert [p.wait(timeout=30) for p in procs] == [0, 0]
    dirs = run_dirs(store)
    assert sorted(manifest(d)["name"] for d in dirs) == ["a", "b"]
    for d in dirs:
        s = series(d)["m/v"]
        assert s["step"] == list(range(20000)) and s["value"] == [float(i) for i in range(20000)]
        assert len(of_type(d, "log")) == 20 and events(d)[-1]["status"] == "completed"


def test_dxp_autostarts_and_completes_at_exit(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "quick_train.py", """
        from mlwb import dxp
        dxp.params.set(lr=0.01, model={"depth": 2})
        for i in range(3):
            dxp.metrics("train").log(loss=1.0 / (i + 1))
        dxp.log("bye")
    """)
    result = run_script(script, store, {"MLWB_TEST_SECRET": "do-not-record-me-77"})
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    m = manifest(run_dir)
    assert m["experiment"]["name"] == "quick_train" and m["script"]["path"] == str(script)
    assert "do-not-record-me-77" not in (run_dir / "run.json").read_text()
    assert of_type(run_dir, "params")[-1]["values"] == {"lr": 0.01, "model.depth": 2}
    assert series(run_dir)["train/loss"]["step"] == [0, 1, 2]
    assert events(run_dir)[-1]["status"] == "completed"


def test_uncaught_exception_at_top_level_fails_open_run(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "crashy.py", """
        from mlwb import dxp
        dxp.log("starting")
        raise RuntimeError("exploded")
    """)
    result = run_script(script, store)
    assert result.returncode == 1 and "exploded" in result.stderr
    last = events(run_dirs(store)[0])[-1]
    assert last["status"] == "failed" and last["error"] == "RuntimeError: exploded" and "crashy.py" in last["traceback"]


def test_run_left_open_is_completed_at_exit(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "left_open.py", """
        from mlwb import Experiment
        exp = Experiment("open").start()
        exp.metrics.log(x=1)
    """)
    assert run_script(script, store).returncode == 0
    recs = events(run_dirs(store)[0])
    assert recs[-1]["status"] == "completed" and series(run_dirs(store)[0])["x"]["value"] == [1.0]


def test_dxp_in_notebook_like_context_is_named_default(store: Path) -> None:
    code = "from mlwb import dxp; dxp.log('hi'); print(dxp.name)"
    result = subprocess.run([sys.executable, "-c", code], env=env_for(store), capture_output=True, text=True, timeout=20)
    assert result.stdout.strip() == "default", result.stderr
    assert manifest(run_dirs(store)[0])["experiment"]["id"] == "default"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_commit_branch_and_dirty_diff(store: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    script = write(repo / "train.py", "from mlwb import dxp\ndxp.log('x')\n")
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=repo, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    script.write_text(script.read_text() + "# tweak\n")
    start = time.time()
    assert run_script(script, store).returncode == 0
    g = manifest(run_dirs(store)[0])["git"]
    assert (g["commit"], g["branch"], g["dirty"]) == (commit, "main", True) and "+# tweak" in g["diff"]
    assert time.time() - start < 10


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_forked_child_never_writes_into_parent_run(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "forker.py", """
        import os, sys
        from mlwb import Experiment
        exp = Experiment("fork").start()
        exp.log("parent")
        pid = os.fork()
        if pid == 0:
            exp.log("child")   # e.g. a DataLoader worker: silently dropped
            exp.flush()
            sys.exit(0)        # runs the child's atexit: must not end the parent's run
        os.waitpid(pid, 0)
        exp.log("after")
    """)
    assert run_script(script, store).returncode == 0
    recs = events(run_dirs(store)[0])
    assert [r["msg"] for r in recs if r["t"] == "log"] == ["parent", "after"]
    assert [r["status"] for r in recs if r["t"] == "status"] == ["running", "completed"]
