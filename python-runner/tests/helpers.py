"""Small readers used by the tests: they parse the files the way the extension does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, TypeVar

T = TypeVar("T")

RUNNER_DIR = Path(__file__).resolve().parents[1]


def _no_bare_constants(name: str) -> Any:
    raise AssertionError(f"bare {name} in journal: JSON.parse would reject it")


def events(run_dir: Path, while_written: bool = False) -> List[Dict[str, Any]]:
    """Every record of a run's journal; fails on any malformed line.

    ``while_written``: the run is still going, so read what it has written so far, as the extension does: no
    record while the journal does not exist yet (its run directory comes first), and a last line still being
    written is not one yet.
    """
    path = Path(run_dir) / "events.jsonl"
    if while_written and not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    if while_written:
        text = text[: text.rfind("\n") + 1]
    assert text == "" or text.endswith("\n")
    return [json.loads(line, parse_constant=_no_bare_constants) for line in text.splitlines()]


def of_type(run_dir: Path, t: str, while_written: bool = False) -> List[Dict[str, Any]]:
    return [e for e in events(run_dir, while_written) if e["t"] == t]


def series(run_dir: Path, while_written: bool = False) -> Dict[str, Dict[str, list]]:
    """Concatenate every metrics record into one {key: {step, value, time}}."""
    out: Dict[str, Dict[str, list]] = {}
    for rec in of_type(run_dir, "metrics", while_written):
        for key, cols in rec["series"].items():
            s = out.setdefault(key, {"step": [], "value": [], "time": []})
            for c in ("step", "value", "time"):
                s[c].extend(cols[c])
    return out


def manifest(run_dir: Path) -> Dict[str, Any]:
    return json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))


def run_dirs(store: Path) -> List[Path]:
    return sorted((store / "runs").iterdir()) if (store / "runs").is_dir() else []


def env_for(store: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MLWB_STORE"}
    env.update({"PYTHONPATH": str(RUNNER_DIR), "MLWB_STORE": str(store), **(extra or {})})
    return env


def run_script(path: Path, store: Path, extra_env: Optional[Dict[str, str]] = None, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(path)], env=env_for(store, extra_env), cwd=path.parent,
                          capture_output=True, text=True, timeout=timeout)


def run_runner(script: Path, store: Path, args: Optional[List[str]] = None, opts: Optional[List[str]] = None,
               extra_env: Optional[Dict[str, str]] = None, timeout: float = 60,
               cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    """``python -m mlwb run [opts] script [args]`` in a real subprocess."""
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)  # never talk to a real VS Code the tests happen to run under
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "mlwb", "run", *(opts or []), str(script), *(args or [])]
    return subprocess.run(cmd, env=env, cwd=cwd or script.parent, capture_output=True, text=True, timeout=timeout)


def start_runner(script: Path, store: Path, ext: Any = None, args: Optional[List[str]] = None,
                 preexec_fn: Optional[Callable[[], Any]] = None, secret: Optional[str] = None) -> subprocess.Popen:
    """``python -m mlwb run script [args]`` in the background, speaking JSON-RPC to ``ext`` (a FakeExtension) if given.
    ``preexec_fn`` shapes what the runner inherits (e.g. a blocked SIGINT, as some CI parents give); ``secret``:
    the session secret in its environment (default: the fake extension's own)."""
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    env.pop("MLWB_RPC_SECRET", None)
    if ext is not None:
        env["MLWB_RPC_PIPE"] = ext.path
        presented = secret if secret is not None else getattr(ext, "secret", None)
        if presented:
            env["MLWB_RPC_SECRET"] = presented
    return subprocess.Popen([sys.executable, "-m", "mlwb", "run", str(script), *(args or [])], env=env,
                            cwd=script.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=preexec_fn)


def logs(run_dir: Path, stream: Optional[str] = None, while_written: bool = False) -> List[str]:
    return [e["msg"] for e in of_type(run_dir, "log", while_written) if stream is None or e.get("stream") == stream]


def statuses(run_dir: Path) -> List[Dict[str, Any]]:
    return of_type(run_dir, "status")


def wait_for(probe: Callable[[], Optional[T]], what: str, timeout: float = 30, seen: Optional[Callable[[], Any]] = None,
             interval: float = 0.05) -> T:
    """Polls ``probe`` until it returns something truthy; on timeout the error names ``what`` and shows ``seen()``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f"; saw {seen()!r}" if seen else ""))
        time.sleep(interval)


def store_state(store: Path) -> Dict[str, Any]:
    """Each run of a store with what its journal holds so far: statuses, metric keys, the last log lines."""
    return {d.name: {"statuses": [e["status"] for e in of_type(d, "status", True)], "metrics": sorted(series(d, True)),
                     "logs": logs(d, while_written=True)[-5:]} for d in run_dirs(store)}


def first_run_when(store: Path, has: Callable[[Path], bool], what: str, timeout: float = 30) -> Path:
    """The store's first run, once ``has(run_dir)`` holds of it (read with ``while_written=True``)."""
    def probe() -> Optional[Path]:
        dirs = run_dirs(store)
        return dirs[0] if dirs and has(dirs[0]) else None
    return wait_for(probe, what, timeout, seen=lambda: store_state(store))
