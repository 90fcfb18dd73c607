"""What a run records about itself at start: script, argv (secret-looking values masked), interpreter,
git. Never the environment."""
from __future__ import annotations

import functools
import hashlib
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

from ._records import JOURNAL_VERSION, ExperimentRef, ProcessRecord, RunManifest, process_record
from ._secrets import SECRET_FILE_GLOBS, mask_argv

HOST_ENV = "MLWB_HOST"
GIT_DIFF_CAP = 200_000
GIT_TIMEOUT_S = 3.0
_KEY_PACKAGES = ("numpy", "pandas", "scikit-learn", "torch", "tensorflow", "xgboost", "lightgbm", "optuna", "jax",
                 "mlflow", "wandb", "tensorboard", "tensorboardX")


def script_path() -> Optional[Path]:
    """The running script (``sys.argv[0]``) when it is a real file; in a Jupyter kernel, its notebook when known."""
    from ._kernel import notebook_path

    notebook = notebook_path()
    if notebook is not None:
        return notebook
    arg0 = sys.argv[0] if sys.argv else ""
    if not arg0 or arg0 in ("-c", "-m", "-"):
        return None
    p = Path(arg0)
    return p.absolute() if p.is_file() else None


def _git(args: list, cwd: Path) -> Optional[bytes]:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT_S,
            # No optional locks: `git status`/`diff` must not fight the user's own git for index.lock.
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_info(cwd: Path) -> Optional[Dict[str, Any]]:
    """Commit, branch, dirty flag and the diff against HEAD (capped), or None outside a repository."""
    head = _git(["rev-parse", "HEAD", "--abbrev-ref", "HEAD"], cwd)
    if head is None:
        return None
    lines = head.decode("utf-8", "replace").split()
    if not lines:
        return None
    info: Dict[str, Any] = {"commit": lines[0], "dirty": False}
    if len(lines) > 1 and lines[1] != "HEAD":
        info["branch"] = lines[1]
    # Files that usually hold secrets (.env, keys) are left out of the diff; only their names are said.
    secret_files = [f":(top,exclude,glob){g}" for g in SECRET_FILE_GLOBS]
    diff = _git(["diff", "HEAD", "--no-color", "--no-ext-diff", "--", ":(top)", *secret_files], cwd)
    left_out = _git(["diff", "HEAD", "--name-only", "--", *(f":(top,glob){g}" for g in SECRET_FILE_GLOBS)], cwd)
    if diff or left_out:
        info["dirty"] = True
        text = (diff or b"")[:GIT_DIFF_CAP].decode("utf-8", "replace")
        if diff and len(diff) > GIT_DIFF_CAP:
            text += "\n[... diff truncated by mlwb]\n"
        if left_out:
            names = ", ".join(left_out.decode("utf-8", "replace").split("\n")).strip(", ")
            text += f"\n[changes to {names} left out by mlwb: such files usually hold secrets]\n"
        info["diff"] = text
    return info


@functools.lru_cache(maxsize=1)
def _python_info() -> Dict[str, Any]:
    from importlib import metadata

    packages = {}
    for name in _KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except Exception:
            pass
    info: Dict[str, Any] = {"executable": sys.executable, "version": platform.python_version()}
    if packages:
        info["packages"] = packages
    return info


def _sha256(path: Path) -> Optional[str]:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def host_name() -> str:
    """``$MLWB_HOST``, else the host name: several hosts may write one shared store (tests name them)."""
    return os.environ.get(HOST_ENV) or socket.gethostname()


def _script_and_git(cwd: Path) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    script = script_path()
    if script is not None:
        out["script"] = {"path": str(script)}
        sha = _sha256(script)
        if sha:
            out["script"]["sha256"] = sha
    git = git_info(script.parent if script is not None else cwd)
    if git:
        out["git"] = git
    return out


def build_process() -> ProcessRecord:
    """The ``process`` record of a run continued by this process (created ahead of it, e.g. at job submission)."""
    return process_record(host_name(), os.getpid(), python=_python_info(), **_script_and_git(Path.cwd()))


def _argv() -> list:
    """``sys.argv`` with secrets masked; a kernel's own command line (``ipykernel_launcher.py -f conn.json``) is
    replaced by its notebook."""
    from ._kernel import notebook_path

    notebook = notebook_path()
    return [str(notebook)] if notebook is not None else mask_argv(sys.argv)


def build_manifest(run_id: str, name: str, experiment: ExperimentRef, tags: Optional[list],
                   metadata: Optional[Dict[str, Any]]) -> RunManifest:
    """The ``run.json`` of a run starting now."""
    cwd = Path.cwd()
    m: RunManifest = {
        "v": JOURNAL_VERSION, "id": run_id, "name": name, "experiment": experiment, "created": time.time(),
        "argv": _argv(), "cwd": str(cwd), "host": host_name(), "pid": os.getpid(),
        "python": _python_info(),
    }
    m.update(_script_and_git(cwd))  # type: ignore[typeddict-item]
    if tags:
        m["tags"] = list(tags)
    if metadata:
        m["metadata"] = dict(metadata)
    return m
