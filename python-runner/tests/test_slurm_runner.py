"""The runner's side of Slurm runs (real subprocesses, no cluster): ``--run-id`` continues a run created at
submission, SIGTERM (what scancel sends) cancels, and tune workers share one Optuna journal as ONE session."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from helpers import env_for, events, first_run_when, logs, manifest, of_type, run_dirs, run_runner, series, statuses
from slurm_helpers import final_status, precreate_run

RUN_ID = "20260101-120000-a1b2c3"


def write(path: Path, code: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code))
    return path


TRAIN = """\
    import sys
    from mlwb import Experiment
    print("args", sys.argv[1:])
    with Experiment("train").run as exp:   # the script's own Experiment claims the continued run
        for step in range(3):
            exp.metrics.log(step=step, loss=1.0 / (step + 1))
        print("done")
"""


def test_run_id_continues_the_precreated_run(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "train.py", TRAIN)
    run_dir = precreate_run(store, RUN_ID, script, ["--lr", "0.1"], job_id="41_2")
    before = (run_dir / "run.json").read_bytes()
    env = {"SLURM_JOB_ID": "43", "SLURM_ARRAY_JOB_ID": "41", "SLURM_ARRAY_TASK_ID": "2", "SLURMD_NODENAME": "node7",
           "MLWB_HOST": "node7.cluster"}
    r = run_runner(script, store, ["--lr", "0.1"], opts=["--run-id", RUN_ID], extra_env=env)
    assert r.returncode == 0, r.stderr
    assert run_dirs(store) == [run_dir]  # no second run
    assert (run_dir / "run.json").read_bytes() == before  # run.json is never rewritten
    evs = events(run_dir)
    kinds = [e["t"] if e["t"] != "status" else e["status"] for e in evs]
    assert kinds[:5] == ["queued", "scheduler", "process", "scheduler", "running"], kinds
    process, job = evs[2], evs[3]
    assert process["host"] == "node7.cluster" and process["pid"] > 0
    assert process["python"]["executable"] == sys.executable
    assert process["script"]["path"] == str(script) and len(process["script"]["sha256"]) == 64
    assert job == {**job, "scheduler": "slurm", "job_id": "41_2", "state": "RUNNING", "node": "node7"}
    assert logs(run_dir, "stdout") == ["args ['--lr', '0.1']", "done"]
    assert series(run_dir)["loss"]["value"] == [1.0, 0.5, 1.0 / 3]
    # Only the script's own Experiment claims the run; the runner did not (same experiment and name as run.json).
    assert [(e["experiment"]["id"], e["name"]) for e in of_type(run_dir, "claimed")] == [("train", "train-a1b2c3")]
    assert statuses(run_dir)[-1]["status"] == "completed"


def test_run_id_with_another_experiment_is_claimed_and_failures_are_recorded(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "boom.py", "print('about to fail')\nraise ValueError('bad data')\n")
    run_dir = precreate_run(store, RUN_ID, script)
    r = run_runner(script, store, opts=["--experiment", "team/other", "--run-id", RUN_ID])
    assert r.returncode == 1 and "ValueError: bad data" in r.stderr
    (claimed,) = of_type(run_dir, "claimed")
    assert claimed["experiment"]["id"] == "team/other" and claimed["name"] == manifest(run_dir)["name"]
    last = statuses(run_dir)[-1]
    assert (last["status"], last["error"]) == ("failed", "ValueError: bad data") and "Traceback" in last["traceback"]
    assert of_type(run_dir, "scheduler") == []  # not inside a Slurm job: no scheduler record from the runner


def test_run_id_refuses_a_missing_or_ended_run_and_loses_nothing(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "train.py", "print('hi')\n")
    r = run_runner(script, store, opts=["--run-id", RUN_ID])
    assert r.returncode == 2 and f"no run {RUN_ID}" in r.stderr and "MLWB_STORE" in r.stderr
    assert run_dirs(store) == []
    r = run_runner(script, store, opts=["--run-id", "../escape"])
    assert r.returncode == 2 and "invalid run id" in r.stderr

    run_dir = precreate_run(store, RUN_ID, script)
    assert run_runner(script, store, opts=["--run-id", RUN_ID]).returncode == 0
    journal = (run_dir / "events.jsonl").read_bytes()
    r = run_runner(script, store, opts=["--run-id", RUN_ID])
    assert r.returncode == 2 and "has already ended (completed)" in r.stderr
    assert (run_dir / "events.jsonl").read_bytes() == journal

    (run_dir / "run.json").write_text("{not json")
    r = run_runner(script, store, opts=["--run-id", RUN_ID])
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_run_id_with_a_missing_script_fails_the_queued_run(store: Path, tmp_path: Path) -> None:
    run_dir = precreate_run(store, RUN_ID, tmp_path / "gone.py")
    r = subprocess.run([sys.executable, "-m", "mlwb", "run", "--run-id", RUN_ID, "gone.py"], env=env_for(store),
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "can't open file" in r.stderr
    last = statuses(run_dir)[-1]
    assert last["status"] == "failed" and "gone.py" in last["error"] and last["exit_code"] == 2


SLEEPER = """\
    import time
    print("ready", flush=True)
    for i in range(600):
        print("tick", i, flush=True)
        time.sleep(0.1)
"""


def first_run_logging(store: Path, line: str) -> Path:
    """The store's (only) run once ``line`` is in its journal."""
    return first_run_when(store, lambda d: line in logs(d, while_written=True), f"the script's {line!r} in the journal")


def _start_runner(script: Path, store: Path, opts: List[str], extra: Dict[str, str]) -> subprocess.Popen:
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    env.update(extra)
    return subprocess.Popen([sys.executable, "-m", "mlwb", "run", *opts, str(script)], env=env, cwd=script.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("continued", [True, False], ids=["run-id", "plain run"])
def test_sigterm_cancels_the_run_and_flushes_its_journal(store: Path, tmp_path: Path, continued: bool) -> None:
    script = write(tmp_path / "sleeper.py", SLEEPER)
    opts = ["--run-id", RUN_ID] if continued else []
    if continued:
        precreate_run(store, RUN_ID, script)
    proc = _start_runner(script, store, opts, {"SLURM_JOB_ID": "9"} if continued else {})
    try:
        run_dir = first_run_logging(store, "tick 2")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "terminated (SIGTERM): the run is cancelled" in err and "Traceback" not in err
    last = statuses(run_dir)[-1]
    assert (last["status"], last["error"], last["exit_code"]) == ("cancelled", "terminated by SIGTERM", 143)
    assert logs(run_dir, "stdout")[:3] == ["ready", "tick 0", "tick 1"]


def test_ctrl_c_stays_cancelled_with_exit_130(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "sleeper.py", SLEEPER)
    precreate_run(store, RUN_ID, script)
    proc = _start_runner(script, store, ["--run-id", RUN_ID], {})
    try:
        run_dir = first_run_logging(store, "tick 1")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "KeyboardInterrupt" in err
    assert (final_status(run_dir) or {}).get("status") == "cancelled"


def test_script_with_its_own_sigterm_handler_keeps_it(store: Path, tmp_path: Path) -> None:
    # Checkpoint-on-preemption scripts handle SIGTERM themselves: theirs wins, the run ends as they end it.
    script = write(tmp_path / "ckpt.py", """\
        import signal, sys, time
        def save_and_exit(signum, frame):
            print("checkpoint saved", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, save_and_exit)
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = _start_runner(script, store, [], {})
    try:
        run_dir = first_run_logging(store, "ready")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert logs(run_dir, "stdout") == ["ready", "checkpoint saved"]
    assert statuses(run_dir)[-1]["status"] == "completed"


# -- tune workers sharing one Optuna journal --------------------------------------------------------------

SPEC = {
    "study_name": "rf-iris", "direction": "maximize", "sampler": "tpe", "seed": 0,
    "space": {"n_estimators": {"type": "int", "low": 5, "high": 30}, "max_depth": {"type": "int", "low": 2, "high": 8}},
    "model": {"estimator": "sklearn.ensemble.RandomForestClassifier", "dataset": "iris", "cv": 2},
}


def start_tune_workers(store: Path, tmp_path: Path, n_workers: int, n_trials: int) -> List[str]:
    """``n_workers`` worker processes at once, each continuing its own pre-created run (as a Slurm array)."""
    spec = tmp_path / "tune.json"
    spec.write_text(json.dumps(SPEC))
    run_ids = [f"20260101-120000-00000{i}" for i in range(n_workers)]
    (store / "tuning").mkdir(parents=True)
    procs = []
    for i, run_id in enumerate(run_ids):
        precreate_run(store, run_id, spec, experiment="rf-iris")
        cmd = [sys.executable, "-m", "mlwb", "tune", "--run-id", run_id, "--spec", str(spec), "--storage",
               str(store / "tuning" / "rf-iris.optuna-journal"), "--study-name", "rf-iris", "--n-trials", str(n_trials), "--worker"]
        env = {**env_for(store), "SLURM_ARRAY_TASK_ID": str(i)}
        procs.append(subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    return run_ids


def test_tune_workers_share_one_journal_as_one_session(store: Path, tmp_path: Path) -> None:
    import optuna

    run_ids = start_tune_workers(store, tmp_path, n_workers=3, n_trials=3)
    sessions, trials, ends = set(), [], []
    for run_id in run_ids:
        run_dir = store / "runs" / run_id
        (session,) = of_type(run_dir, "tuning.session")
        sessions.add(json.dumps({k: v for k, v in session.items() if k != "ts"}, sort_keys=True))
        mine = of_type(run_dir, "tuning.trial")
        assert len(mine) == 3 and all(t["run"] == run_id and t["session"] == session["id"] for t in mine)
        trials += mine
        ends += of_type(run_dir, "tuning.complete")
        assert statuses(run_dir)[-1]["status"] == "completed"
    assert len(sessions) == 1  # every worker wrote the very same session record
    assert sorted(t["number"] for t in trials) == list(range(9))  # every trial once: no duplicates, none lost
    # The study on disk agrees: 9 finished trials, and the last worker to end names the study's best.
    from mlwb._tune_optuna import open_storage

    study = optuna.load_study(study_name="rf-iris", storage=open_storage(optuna, str(store / "tuning" / "rf-iris.optuna-journal")))
    assert len(study.trials) == 9 and all(t.state.name == "COMPLETE" for t in study.trials)
    assert max(ends, key=lambda e: e["ts"])["best_trials"] == [study.best_trial.number]
    # Workers sample apart (the seed is offset per array task): no two trials share their parameters.
    assert len({json.dumps(t["params"], sort_keys=True) for t in trials}) == 9


def test_tune_worker_usage_errors(store: Path, tmp_path: Path) -> None:
    spec = tmp_path / "tune.json"
    spec.write_text(json.dumps(SPEC))

    def tune(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mlwb", "tune", "--spec", str(spec), *args], env=env_for(store),
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)

    r = tune("--worker")
    assert r.returncode == 2 and "--worker needs --storage" in r.stderr
    r = tune("--storage", "x.optuna-journal", "--params", "{}")
    assert r.returncode == 2 and "--storage is for tuning" in r.stderr
    r = tune("--run-id", RUN_ID, "--storage", "x.optuna-journal", "--worker")
    assert r.returncode == 2 and f"no run {RUN_ID}" in r.stderr
    assert run_dirs(store) == []
