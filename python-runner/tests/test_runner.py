"""`python -m mlwb run script.py`: unmodified scripts become full runs (real subprocesses)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import env_for, events, logs, manifest, of_type, run_dirs, run_runner, statuses

RUNNER_DIR = Path(__file__).resolve().parents[1]


def write(path: Path, code: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code))
    return path


def only_run(store: Path) -> Path:
    dirs = run_dirs(store)
    assert len(dirs) == 1, dirs
    return dirs[0]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_unmodified_script_is_a_full_run(store: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    script = write(repo / "train.py", """
        import os, sys
        print("hello from", os.path.basename(sys.argv[0]), sys.argv[1:])
        print("to stderr", file=sys.stderr)
        print("a", "b", sep="\\n")
        print("no newline at the end", end="")
    """)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=repo, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    script.write_text(script.read_text() + "# dirty\n")

    result = run_runner(script, store, ["--epochs", "3"])
    assert result.returncode == 0, result.stderr
    assert "hello from train.py ['--epochs', '3']" in result.stdout  # the terminal still sees everything
    assert "to stderr" in result.stderr and result.stderr.count("mlwb:") == 0
    run_dir = only_run(store)
    m = manifest(run_dir)
    assert m["experiment"]["id"] == "train" and m["name"].startswith("train-")
    assert m["script"]["path"] == str(script) and len(m["script"]["sha256"]) == 64
    assert m["argv"] == [str(script), "--epochs", "3"]
    assert m["python"]["executable"] == sys.executable and "scikit-learn" in m["python"]["packages"]
    assert (m["git"]["commit"], m["git"]["branch"], m["git"]["dirty"]) == (commit, "main", True)
    assert "+# dirty" in m["git"]["diff"]
    assert logs(run_dir, "stdout") == ["hello from train.py ['--epochs', '3']", "a", "b", "no newline at the end"]
    assert logs(run_dir, "stderr") == ["to stderr"]
    levels = {e["stream"]: e["level"] for e in of_type(run_dir, "log")}
    assert levels == {"stdout": "info", "stderr": "error"}
    st = statuses(run_dir)
    assert [s["status"] for s in st] == ["running", "completed"] and st[-1]["exit_code"] == 0
    assert st[-1]["ts"] >= st[0]["ts"]  # duration = last status - first


def test_options_experiment_and_name(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "s.py", "print('x')\n")
    result = run_runner(script, store, opts=["--experiment", "team/proj/baseline", "--name=first"])
    assert result.returncode == 0, result.stderr
    m = manifest(only_run(store))
    assert m["experiment"] == {"id": "team/proj/baseline", "name": "baseline", "project": "proj", "owner": "team"}
    assert m["name"] == "first"


def test_script_sees_what_python_script_py_gives(store: Path, tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "helper_mod.py", "VALUE = 42\n")
    script = write(tmp_path / "pkg" / "main.py", """
        import os, sys
        import helper_mod                       # the script's directory is sys.path[0]
        assert sys.path[0] == os.path.dirname(os.path.abspath(__file__)), sys.path[:2]
        assert __name__ == "__main__"
        print(helper_mod.VALUE, sys.argv, os.getcwd(), sys.stdout.isatty())
    """)
    result = run_runner(script, store, ["x"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"42 {[str(script), 'x']} {tmp_path} False"


def test_exception_marks_failed_with_traceback(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "boom.py", """
        def explode():
            raise ValueError("bad value")
        explode()
    """)
    result = run_runner(script, store)
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):\n  File \"" + str(script))  # no runner frames
    assert "ValueError: bad value" in result.stderr and "runpy" not in result.stderr
    last = statuses(only_run(store))[-1]
    assert last["status"] == "failed" and last["error"] == "ValueError: bad value" and last["exit_code"] == 1
    assert "in explode" in last["traceback"] and "runpy" not in last["traceback"]
    assert "ValueError: bad value" in logs(only_run(store), "stderr")


@pytest.mark.parametrize("code, exit_code, status", [("sys.exit(3)", 3, "failed"), ("sys.exit(0)", 0, "completed"),
                                                     ("sys.exit()", 0, "completed"), ("sys.exit('fatal: no data')", 1, "failed")])
def test_sys_exit(store: Path, tmp_path: Path, code: str, exit_code: int, status: str) -> None:
    script = write(tmp_path / "exiter.py", f"import sys\nprint('before')\n{code}\nprint('never')\n")
    result = run_runner(script, store)
    assert result.returncode == exit_code and "never" not in result.stdout
    last = statuses(only_run(store))[-1]
    assert (last["status"], last["exit_code"]) == (status, exit_code)
    if "fatal" in code:
        assert "fatal: no data" in result.stderr and last["error"] == "SystemExit: fatal: no data"


def test_keyboard_interrupt_is_cancelled(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "ctrlc.py", "raise KeyboardInterrupt\n")
    result = run_runner(script, store)
    assert result.returncode == 130 and "KeyboardInterrupt" in result.stderr
    last = statuses(only_run(store))[-1]
    assert (last["status"], last["exit_code"]) == ("cancelled", 130)


def test_experiment_in_script_claims_the_run(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "tracked.py", """
        from mlwb import Experiment
        print("before the experiment")
        with Experiment("alice/mnist/baseline", run_name="mine") as exp:
            exp.params.set(lr=0.1)
            exp.metrics("train").log(step=0, loss=0.5)
            print("inside")
        print("after the experiment")   # the run has ended: not in its log
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    run_dir = only_run(store)  # ONE run: the script's Experiment took over the runner's
    m = manifest(run_dir)
    assert m["experiment"]["id"] == "tracked"  # run.json stays as written
    recs = events(run_dir)
    (claimed,) = [r for r in recs if r["t"] == "claimed"]
    assert claimed["experiment"]["id"] == "alice/mnist/baseline" and claimed["name"] == "mine"
    assert [s["status"] for s in statuses(run_dir)] == ["running", "completed"]  # one final status only
    assert recs[-1]["t"] == "status" and "exit_code" not in recs[-1]  # written by the Experiment
    assert logs(run_dir, "stdout") == ["before the experiment", "inside"]
    assert of_type(run_dir, "params")[-1]["values"] == {"lr": 0.1}


def test_second_experiment_gets_its_own_run(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "two.py", """
        from mlwb import Experiment
        a = Experiment("first").start()
        with Experiment("second") as b:
            b.log("in b")
        a.log("in a")
        raise SystemExit(4)
    """)
    result = run_runner(script, store)
    assert result.returncode == 4
    dirs = run_dirs(store)
    assert len(dirs) == 2
    by_exp = {}
    for d in dirs:
        claimed = of_type(d, "claimed")
        by_exp[claimed[0]["experiment"]["id"] if claimed else manifest(d)["experiment"]["id"]] = d
    assert set(by_exp) == {"first", "second"}
    first = statuses(by_exp["first"])
    assert (first[-1]["status"], first[-1]["exit_code"]) == ("failed", 4)  # left open: ended with the process
    assert [s["status"] for s in first] == ["running", "failed"]
    assert statuses(by_exp["second"])[-1]["status"] == "completed"
    assert "in a" in logs(by_exp["first"])


def test_dxp_claims_too(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "quick.py", "from mlwb import dxp\ndxp.metrics.log(x=1)\n")
    assert run_runner(script, store).returncode == 0
    run_dir = only_run(store)
    assert of_type(run_dir, "claimed")[0]["experiment"]["id"] == "quick"
    assert [s["status"] for s in statuses(run_dir)] == ["running", "completed"]


def test_secrets_never_recorded(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "secretive.py", """
        import os, sys
        print("args:", " ".join(sys.argv[1:]))
        print("env:", os.environ["MLWB_FAKE_API_TOKEN"], os.environ["FROM_DOTENV"], os.environ["HOME_TEST_PLAIN"])
        from mlwb import Experiment
        with Experiment("sec") as exp:
            exp.log("working")
            raise ValueError("giving up on " + os.environ["FROM_DOTENV"])
    """)
    secret_env = {"MLWB_FAKE_API_TOKEN": "env-secret-value-123", "HOME_TEST_PLAIN": "env-plain-value-456",
                  "FROM_DOTENV": "dotenv-value-789", "MLWB_SECRET_ENV": "FROM_DOTENV"}
    result = run_runner(script, store, ["--api-key", "argv-secret-1", "--token=argv-secret-2", "password=argv-secret-3",
                                        "--lr", "0.1"], extra_env=secret_env)
    assert result.returncode == 1, result.stderr
    run_dir = only_run(store)
    assert manifest(run_dir)["argv"][1:] == ["--api-key", "***", "--token=***", "password=***", "--lr", "0.1"]
    everything = "".join(p.read_text(errors="replace") for p in store.rglob("*") if p.is_file())
    for secret in ("env-secret-value-123", "dotenv-value-789", "argv-secret-1", "argv-secret-2", "argv-secret-3"):
        assert secret not in everything, secret
    # The script's own output is logged with the secret values masked (a plain variable's value is kept) ...
    assert logs(run_dir, "stdout") == ["args: --api-key *** --token=*** password=*** --lr 0.1",
                                       "env: *** *** env-plain-value-456"]
    final = statuses(run_dir)[-1]
    assert final["status"] == "failed" and "giving up on ***" in final["error"] and "giving up on ***" in final["traceback"]
    # ... while the terminal shows it as written: it is the user's own screen.
    assert "env: env-secret-value-123 dotenv-value-789" in result.stdout


def test_progress_bars_and_long_lines(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "bars.py", """
        import sys
        for i in range(1, 101):
            sys.stderr.write(f"\\r{i:3d}%|{'#' * (i // 10)}|")
        sys.stderr.write("\\n")
        print("x" * 200_000)
        print("done")
    """)
    assert run_runner(script, store).returncode == 0
    run_dir = only_run(store)
    assert logs(run_dir, "stderr") == ["100%|##########|"]
    long_line, done = logs(run_dir, "stdout")
    assert long_line.startswith("x" * 1000) and long_line.endswith("[... line truncated by mlwb]")
    assert len(long_line) < 70_000 and done == "done"


def test_usage_errors(store: Path, tmp_path: Path) -> None:
    env = env_for(store)

    def mlwb(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mlwb", *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=30)

    r = mlwb("run", "missing.py")
    assert r.returncode == 2 and "can't open file" in r.stderr and "missing.py" in r.stderr
    r = mlwb("run")
    assert r.returncode == 2 and "missing the script" in r.stderr
    r = mlwb("run", "--bogus", "x.py")
    assert r.returncode == 2 and "unknown option '--bogus'" in r.stderr
    r = mlwb("frobnicate")
    assert r.returncode == 2 and "unknown command" in r.stderr
    r = mlwb()
    assert r.returncode == 2 and "usage:" in r.stderr
    r = mlwb("--version")
    assert r.returncode == 0 and r.stdout.strip() == "mlwb 0.1.0"
    r = mlwb("info")
    assert r.returncode == 0, r.stderr
    import json

    info = json.loads(r.stdout)
    assert info["python"]["executable"] == sys.executable and info["cpuCount"] >= 1
    assert "scikit-learn" in info["packages"] and "MLWB_STORE" not in r.stdout
    assert not run_dirs(store)


def test_no_pipe_and_nobody_listening(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "plain.py", "print('ok')\n")
    result = run_runner(script, store, extra_env={"MLWB_RPC_PIPE": str(tmp_path / "nobody.sock")})
    assert result.returncode == 0
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("mlwb:")]
    assert len(lines) == 1 and "VS Code is not listening" in lines[0] and "journal only" in lines[0]
    assert [s["status"] for s in statuses(only_run(store))] == ["running", "completed"]
