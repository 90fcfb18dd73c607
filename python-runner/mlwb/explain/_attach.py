"""Storing an explanation with an existing run: ``<run>/files/explain/explain.json`` plus a ``file``
record appended to the run's journal, as ``exp.files("explain").save(...)`` would have written it.

Only for a run that has ended: a live process owns its journal (the extension follows the same rule).
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Dict, Optional

from .._encode import dumps
from .._files import FileTable, _copy, _sha256
from .._records import record
from .._store import is_safe_run_id, resolve_store
from ._model import ExplainError

RUN_FILE = "explain/explain.json"
_ENDED = ("completed", "failed", "cancelled", "crashed")


def run_dir_for(run_id: str) -> Path:
    if not is_safe_run_id(run_id):
        raise ExplainError(f"invalid run id {run_id!r}")
    d = resolve_store() / "runs" / run_id
    if not (d / "events.jsonl").is_file():
        raise ExplainError(f"no run {run_id!r} in the store {resolve_store()}")
    return d


def _scan(journal: Path, rel: str = RUN_FILE) -> tuple:
    """(last status, live id of the file at ``rel`` or None)."""
    status: Optional[str] = None
    file_id: Optional[str] = None
    with open(journal, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a torn last line
            if rec.get("t") == "status":
                status = rec.get("status")
            elif rec.get("t") == "file" and rec.get("path") == rel:
                file_id = None if rec.get("op") == "delete" else rec.get("id")
    return status, file_id


def check_ended(run_dir: Path) -> None:
    status, _ = _scan(run_dir / "events.jsonl")
    if status not in _ENDED:
        raise ExplainError(f"run {run_dir.name} has not ended (status {status or 'none yet'}): "
                           "store results with it once it has ended, or use --out")


def attach(run_dir: Path, src: Path, rel: str = RUN_FILE,
           description: str = "model explanation (SHAP, importance, PDP/ICE)", tags: tuple = ("explain",)
           ) -> Dict[str, Any]:
    """Copy ``src`` into the run as ``rel`` and append its ``file`` record (returns the record)."""
    journal = run_dir / "events.jsonl"
    _, file_id = _scan(journal, rel)
    table = FileTable(run_dir / "files")
    target = table.target(rel)
    if target != src.resolve():
        written = table.write(rel, _copy(src))
    else:  # written there directly
        written = {"size": src.stat().st_size, "sha256": _sha256(src)}
    # Saving to a live path again keeps its id (a new version of the file), as FileBuilder.save does.
    rec = record("file", op="save", id=file_id or secrets.token_hex(6), path=rel,
                 size=written["size"], sha256=written["sha256"], description=description, tags=list(tags))
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0))
    try:
        os.write(fd, (dumps(rec) + "\n").encode("utf-8"))  # one write: whole line
    finally:
        os.close(fd)
    return rec
