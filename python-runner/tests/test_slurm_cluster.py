"""Runs on the REAL single-node Slurm cluster (test/harness/slurm-cluster.mjs: slurm-wlm + munge on loopback):
sbatch runs ``python -m mlwb run --run-id`` inside a job, scancel cancels it, and a 3-task array of tune
workers shares one Optuna journal. Skipped only where Slurm is not installed (CI installs it)."""
from __future__ import annotations

import json
import socket
import subprocess
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from helpers import events, logs, of_type, series, statuses, wait_for
from slurm_helpers import PYTHON, ensure_cluster, final_status, precreate_run, sbatch_script, short_host, slurm_missing

pytestmark = pytest.mark.skipif(slurm_missing() is not None, reason=slurm_missing() or "")


@pytest.fixture(scope="module")
def slurm_env() -> Dict[str, str]:
    return ensure_cluster()


def sbatch(env: Dict[str, str], script_text: str, where: Path, *extra: str) -> str:
    path = where / "slurm.sbatch"
    path.write_text(script_text)
    r = subprocess.run(["sbatch", "--parsable", *extra, str(path)], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().split(";")[0]


def job_state(env: Dict[str, str], job: str) -> str:
    r = subprocess.run(["scontrol", "show", "job", "-o", job], env=env, capture_output=True, text=True, timeout=30)
    return next((f.split("=", 1)[1] for f in r.stdout.split() if f.startswith("JobState=")), "")


def wait_job_ended(env: Dict[str, str], job: str, timeout: float = 120) -> str:
    ended = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL")
    return wait_for(lambda: (lambda s: s if s in ended else None)(job_state(env, job)), f"job {job} to end", timeout,
                    seen=lambda: job_state(env, job), interval=0.3)


def test_sbatch_job_runs_the_precreated_run_to_completion(slurm_env: Dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "store"
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""\
        import os, sys
        from mlwb import Experiment
        print("gpu:", os.environ.get("CUDA_VISIBLE_DEVICES"))
        exp = Experiment("train").start()
        for epoch in range(5):
            exp.metrics.log(step=epoch, train=dict(loss=1.0 / (epoch + 1)), acc=epoch / 10)
        print("trained", sys.argv[1:])
    """))
    run_id = "20260101-130000-5a1e00"
    run_dir = precreate_run(store, run_id, script, ["--epochs", "5"])
    job = sbatch(slurm_env, sbatch_script(store, run_id, tmp_path, [PYTHON, "-m", "mlwb", "run", "--run-id", run_id,
                                                                     str(script), "--epochs", "5"]), run_dir)
    assert wait_job_ended(slurm_env, job) == "COMPLETED"
    evs = events(run_dir)
    process, job_rec = of_type(run_dir, "process"), of_type(run_dir, "scheduler")
    assert len(process) == 1 and process[0]["host"] == socket.gethostname() and process[0]["pid"] > 0
    assert [(r["job_id"], r["state"], r["node"]) for r in job_rec] == [(job, "RUNNING", short_host())]
    assert [s["status"] for s in statuses(run_dir)] == ["queued", "running", "completed"]
    assert evs.index(process[0]) < evs.index(job_rec[0]) < evs.index(statuses(run_dir)[1])
    assert series(run_dir)["train/loss"]["value"] == [1.0, 0.5, 1.0 / 3, 0.25, 0.2]
    assert series(run_dir)["acc"]["step"] == [0, 1, 2, 3, 4]
    assert logs(run_dir, "stdout") == ["gpu: None", "trained ['--epochs', '5']"]
    out = (run_dir / f"slurm-{job}.out").read_text()  # the job's own output file has the script's lines too
    assert "trained ['--epochs', '5']" in out


def test_scancel_cancels_the_running_job_and_the_journal_says_so(slurm_env: Dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "store"
    script = tmp_path / "long.py"
    script.write_text("import time\nfor i in range(3000):\n    print('tick', i, flush=True)\n    time.sleep(0.1)\n")
    run_id = "20260101-130000-ca9ce1"
    run_dir = precreate_run(store, run_id, script)
    job = sbatch(slurm_env, sbatch_script(store, run_id, tmp_path, [PYTHON, "-m", "mlwb", "run", "--run-id", run_id,
                                                                     str(script)]), run_dir)
    wait_for(lambda: "tick 3" in logs(run_dir, while_written=True), "the job's output in the journal", 120,
             seen=lambda: logs(run_dir, while_written=True)[-3:])
    r = subprocess.run(["scancel", job], env=slurm_env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert wait_job_ended(slurm_env, job) == "CANCELLED"
    last = wait_for(lambda: final_status(run_dir), "the runner's final status", 30, seen=lambda: statuses(run_dir))
    assert (last["status"], last["error"]) == ("cancelled", "terminated by SIGTERM")
    assert statuses(run_dir)[-1] == last  # nothing after the end
    assert logs(run_dir, "stdout")[:4] == ["tick 0", "tick 1", "tick 2", "tick 3"]


def test_stand_in_gpu_is_scheduled_and_visible_to_the_run(slurm_env: Dict[str, str], tmp_path: Path) -> None:
    # Stand-in GPUs (the cluster's fake gres devices): Slurm itself sets CUDA_VISIBLE_DEVICES for the job.
    store = tmp_path / "store"
    script = tmp_path / "gpu.py"
    script.write_text("import os\nprint('cuda', os.environ['CUDA_VISIBLE_DEVICES'])\n")
    run_id = "20260101-130000-69a000"
    run_dir = precreate_run(store, run_id, script)
    job = sbatch(slurm_env, sbatch_script(store, run_id, tmp_path, [PYTHON, "-m", "mlwb", "run", "--run-id", run_id,
                                                                     str(script)]), run_dir, "--gres=gpu:1")
    assert wait_job_ended(slurm_env, job) == "COMPLETED"
    assert logs(run_dir, "stdout") == ["cuda 0"]
    assert statuses(run_dir)[-1]["status"] == "completed"


SPEC = {
    "study_name": "svc", "direction": "maximize", "sampler": "tpe", "seed": 1,
    "space": {"C": {"type": "float", "low": 0.01, "high": 10, "log": True}},
    "model": {"estimator": "sklearn.svm.SVC", "dataset": "iris", "cv": 2},
}


def test_array_of_tune_workers_is_one_session(slurm_env: Dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "store"
    spec = tmp_path / "tune.json"
    spec.write_text(json.dumps(SPEC))
    run_ids: List[str] = [f"20260101-140000-a0000{i}" for i in range(3)]
    for run_id in run_ids:
        precreate_run(store, run_id, spec, experiment="svc")
    (store / "tuning").mkdir()
    # One sbatch file for the array (in the first run's dir): a bash array maps each task to its run.
    worker = [PYTHON, "-m", "mlwb", "tune", "--run-id", '"${RUNS[$SLURM_ARRAY_TASK_ID]}"', "--spec", str(spec),
              "--storage", str(store / "tuning" / "svc.optuna-journal"), "--study-name", "svc", "--n-trials", "2", "--worker"]
    text = sbatch_script(store, run_ids[0], tmp_path, worker, array="0-2")
    text = text.replace("cd ", f"RUNS=({' '.join(run_ids)})\ncd ", 1)
    job = sbatch(slurm_env, text, store / "runs" / run_ids[0])
    for i in range(3):
        assert wait_job_ended(slurm_env, f"{job}_{i}") == "COMPLETED"
    ids, numbers = set(), []
    for i, run_id in enumerate(run_ids):
        run_dir = store / "runs" / run_id
        assert [r["job_id"] for r in of_type(run_dir, "scheduler")] == [f"{job}_{i}"]
        ids |= {s["id"] for s in of_type(run_dir, "tuning.session")}
        numbers += [t["number"] for t in of_type(run_dir, "tuning.trial")]
        assert statuses(run_dir)[-1]["status"] == "completed"
    assert len(ids) == 1 and sorted(numbers) == list(range(6))
