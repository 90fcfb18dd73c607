"""What the extension does at Slurm submission (the contract's step 1), and the real test cluster."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from helpers import RUNNER_DIR, events

REPO = RUNNER_DIR.parent
CLUSTER_HARNESS = REPO / "test" / "harness" / "slurm-cluster.mjs"


def precreate_run(store: Path, run_id: str, script: Path, args: Optional[List[str]] = None, experiment: str = "train",
                  job_id: Optional[str] = None) -> Path:
    """run.json + ``queued`` (+ ``scheduler`` PENDING) as the extension writes them before ``sbatch``."""
    run_dir = store / "runs" / run_id
    run_dir.mkdir(parents=True)
    manifest = {
        "v": 1, "id": run_id, "name": f"{script.stem}-{run_id[-6:]}", "experiment": {"id": experiment, "name": experiment},
        "created": time.time(), "argv": [str(script), *(args or [])], "cwd": str(script.parent),
        "host": "submit-host", "pid": 0, "metadata": {"slurm": {"profile": "default", "script": str(run_dir / "slurm.sbatch")}},
    }
    (run_dir / "run.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    recs: List[Dict[str, Any]] = [{"v": 1, "t": "status", "ts": time.time(), "status": "queued"}]
    if job_id is not None:
        recs.append({"v": 1, "t": "scheduler", "ts": time.time(), "scheduler": "slurm", "job_id": job_id, "state": "PENDING"})
    append(run_dir, recs)
    return run_dir


def append(run_dir: Path, recs: List[Dict[str, Any]]) -> None:
    with open(run_dir / "events.jsonl", "a", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in recs)


def final_status(run_dir: Path) -> Optional[Dict[str, Any]]:
    done = [e for e in events(run_dir, while_written=True) if e["t"] == "status" and e["status"] not in ("queued", "running")]
    return done[-1] if done else None


# -- the real cluster (test/harness/slurm-cluster.mjs) -------------------------------------------------

def slurm_missing() -> Optional[str]:
    """Why the real-cluster tests cannot run here, or None."""
    missing = [b for b in ("sbatch", "squeue", "scancel") if shutil.which(b) is None]
    if missing:
        return f"Slurm is not installed ({', '.join(missing)} missing): .ci/setup.sh installs slurm-wlm and munge"
    if shutil.which("node") is None:
        return "node is needed to start the test cluster (test/harness/slurm-cluster.mjs)"
    return None


def ensure_cluster() -> Dict[str, str]:
    """Starts (or reuses) the single-node cluster; returns the environment the s* commands need."""
    r = subprocess.run(["node", str(CLUSTER_HARNESS), "start"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"the test Slurm cluster did not start:\n{r.stderr}")
    return {**os.environ, **json.loads(r.stdout)["env"]}


def sbatch_script(store: Path, run_id: str, workdir: Path, command: List[str], array: Optional[str] = None) -> str:
    """An sbatch file as the extension generates it (contract step 2)."""
    out = store / "runs" / run_id / ("slurm-%A_%a.out" if array else "slurm-%j.out")
    lines = ["#!/bin/bash", f"#SBATCH --job-name=mlwb-{run_id[-6:]}", f"#SBATCH --output={out}",
             "#SBATCH --time=10", "#SBATCH --cpus-per-task=1"]
    if array:
        lines.append(f"#SBATCH --array={array}")
    lines += [f"export MLWB_STORE={store}", f"export PYTHONPATH={RUNNER_DIR}:$PYTHONPATH", f"cd {workdir}",
              " ".join(command)]
    return "\n".join(lines) + "\n"


def short_host() -> str:
    return socket.gethostname().split(".")[0]


PYTHON = sys.executable
