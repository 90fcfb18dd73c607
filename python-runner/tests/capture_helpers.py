"""Running the documentation-style scripts of tests/data/capture unmodified, plainly and under the runner."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from helpers import env_for, of_type, run_dirs, run_runner, series

DATA = Path(__file__).resolve().parent / "data" / "capture"


def copy_script(name: str, into: Path, *extra: str) -> Path:
    """The script (and the files it reads) copied into ``into``: it writes its figures next to itself."""
    for f in (name, *extra):
        shutil.copy(DATA / f, into / f)
    return into / name


def run_plain(script: Path, args: Optional[List[str]] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python script.py args``: what the script prints without us."""
    env = env_for(script.parent / "no-store")
    env["MPLBACKEND"] = "Agg"
    return subprocess.run([sys.executable, str(script), *(args or [])], env=env, cwd=script.parent,
                          capture_output=True, text=True, timeout=timeout)


def run_tracked(script: Path, store: Path, args: Optional[List[str]] = None,
                timeout: float = 120) -> Tuple[Path, subprocess.CompletedProcess]:
    """``python -m mlwb run script.py args`` (asserting it exited 0): the run's directory and what it printed."""
    result = run_runner(script, store, args=args, extra_env={"MPLBACKEND": "Agg"}, timeout=timeout)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    return run_dir, result


def captured_metrics(run_dir: Path) -> Dict[str, List[float]]:
    """The metrics the capture hooks logged (system/ and autolog/ left out), key -> values in step order."""
    return {k: s["value"] for k, s in series(run_dir).items() if not k.startswith(("system/", "autolog/"))}


def params(run_dir: Path) -> Dict[str, Any]:
    """The params as the index holds them: a later record replaces an earlier value, key by key."""
    out: Dict[str, Any] = {}
    for p in of_type(run_dir, "params"):
        out.update(p["values"])
    return out


def files(run_dir: Path) -> Dict[str, Dict[str, Any]]:
    """Live run files by path: the latest record of each."""
    out: Dict[str, Dict[str, Any]] = {}
    for f in of_type(run_dir, "file"):
        if f["op"] == "delete":
            out.pop(f["path"], None)
        else:
            out[f["path"]] = f
    return out


def file_bytes(run_dir: Path, path: str) -> bytes:
    return (run_dir / "files" / path).read_bytes()


PNG = b"\x89PNG\r\n\x1a\n"
