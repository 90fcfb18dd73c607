"""Continuing a run created ahead of its process (``python -m mlwb run --run-id ID``): at submission the
extension writes ``run.json`` and a ``queued`` status; the job's runner appends where it runs (``process``),
the scheduler's RUNNING state, then ``running`` and the rest of the run as usual.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ._journal import Journal
from ._manifest import build_process
from ._records import RunManifest, record, scheduler_record
from ._store import is_safe_run_id

FINAL_STATUSES = ("completed", "failed", "cancelled", "crashed")


class NotContinuable(Exception):
    """The run cannot be continued: the message says why and what to check."""


def open_precreated(store: Path, run_id: str) -> Tuple[Path, RunManifest]:
    """The run's directory and manifest, if the run exists and has not ended."""
    if not is_safe_run_id(run_id):
        raise NotContinuable(f"invalid run id {run_id!r}")
    run_dir = store / "runs" / run_id
    manifest_path = run_dir / "run.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotContinuable(f"no run {run_id} in the store {store} ({manifest_path} does not exist): "
                             "--run-id continues a run created at submission; is MLWB_STORE the same store?") from None
    except (OSError, ValueError) as e:
        raise NotContinuable(f"cannot read {manifest_path}: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("id") != run_id or not isinstance(manifest.get("experiment"), dict):
        raise NotContinuable(f"{manifest_path} is not the manifest of run {run_id}")
    status = last_status(run_dir / "events.jsonl")
    if status in FINAL_STATUSES:
        raise NotContinuable(f"run {run_id} has already ended ({status}): an ended run is never continued")
    return run_dir, manifest  # type: ignore[return-value]


def last_status(events: Path) -> Optional[str]:
    """The last ``status`` in a journal (a torn or malformed line is skipped, as the extension does)."""
    status = None
    try:
        with open(events, "rb") as f:
            for line in f:
                if b'"status"' not in line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and rec.get("t") == "status" and isinstance(rec.get("status"), str):
                    status = rec["status"]
    except FileNotFoundError:
        pass
    return status


def slurm_job(env: Optional[Dict[str, str]] = None) -> Optional[Dict[str, str]]:
    """``{job_id, node}`` of the Slurm job this process runs in (job ids as squeue prints them), else None."""
    env = os.environ if env is None else env
    job = env.get("SLURM_JOB_ID")
    if not job:
        return None
    array_job, task = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
    out = {"job_id": f"{array_job}_{task}" if array_job and task else job}
    node = env.get("SLURMD_NODENAME") or env.get("SLURM_NODELIST")
    if node:
        out["node"] = node
    return out


def start_records() -> List[Dict[str, Any]]:
    """What the runner appends when it takes the run over, before ``running``."""
    recs: List[Dict[str, Any]] = [dict(build_process())]
    job = slurm_job()
    if job is not None:
        recs.append(dict(scheduler_record(job["job_id"], "RUNNING", node=job.get("node"))))
    return recs


def fail_precreated(store: Path, run_id: str, error: str) -> None:
    """End a pre-created run as failed when the runner cannot even start its script (best effort)."""
    try:
        run_dir, _ = open_precreated(store, run_id)
    except NotContinuable:
        return
    journal = Journal(run_dir / "events.jsonl")
    for rec in start_records():
        journal.add(rec)
    journal.close(record("status", status="failed", error=error, exit_code=2))
