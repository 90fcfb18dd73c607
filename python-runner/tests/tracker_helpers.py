"""Shared by the tracker compatibility tests: run a script of tests/data/trackers, find its runs."""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional

from helpers import events, logs, manifest, of_type, run_dirs, run_runner, series

TRACKERS = Path(__file__).resolve().parent / "data" / "trackers"
FAKE_REAL = Path(__file__).resolve().parent / "data" / "fake_real_packages"


def copy_script(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copyfile(TRACKERS / name, target)
    return target


def write(path: Path, code: str) -> Path:
    path.write_text(textwrap.dedent(code))
    return path


def by_name(store: Path) -> Dict[str, Path]:
    """Run directories by their display name (the last ``claimed`` name, else run.json's)."""
    out = {}
    for d in run_dirs(store):
        claimed = of_type(d, "claimed")
        out[claimed[-1]["name"] if claimed else manifest(d)["name"]] = d
    return out


def tags(run_dir: Path) -> Dict[str, Optional[str]]:
    out: Dict[str, Optional[str]] = {}
    for rec in of_type(run_dir, "tags"):
        out.update(rec["tags"])
    return {k: v for k, v in out.items() if v is not None}


def params(run_dir: Path) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for rec in of_type(run_dir, "params"):
        out.update(rec["values"])
    return out


def files(run_dir: Path) -> Dict[str, Dict[str, Any]]:
    live: Dict[str, Dict[str, Any]] = {}
    for rec in of_type(run_dir, "file"):
        if rec["op"] == "delete":
            live.pop(rec["path"], None)
        else:
            live[rec["path"]] = rec
    return live


def notes(run_dir: Path, level: Optional[str] = None) -> List[str]:
    """The adapters' one-time notes in the run's log."""
    return [e["msg"] for e in of_type(run_dir, "log")
            if (e.get("meta") or {}).get("source") == "mlwb.compat" and (level is None or e["level"] == level)]


def experiment_of(run_dir: Path) -> str:
    claimed = of_type(run_dir, "claimed")
    return claimed[-1]["experiment"]["id"] if claimed else manifest(run_dir)["experiment"]["id"]


def report(stdout: str) -> Dict[str, Any]:
    (line,) = [x for x in stdout.splitlines() if x.startswith("REPORT ")]
    return json.loads(line[len("REPORT "):])


__all__ = ["by_name", "copy_script", "events", "experiment_of", "files", "logs", "manifest", "notes", "of_type", "params",
           "report", "run_dirs", "run_runner", "series", "tags", "write"]
