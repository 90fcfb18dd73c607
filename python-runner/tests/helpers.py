"""Small readers used by the tests: they parse the files the way the extension does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

RUNNER_DIR = Path(__file__).resolve().parents[1]


def _no_bare_constants(name: str) -> Any:
    raise AssertionError(f"bare {name} in journal: JSON.parse would reject it")


def events(run_dir: Path) -> List[Dict[str, Any]]:
    """Every record of a run's journal; fails on any malformed line."""
    text = (Path(run_dir) / "events.jsonl").read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line, parse_constant=_no_bare_constants) for line in text.splitlines()]


def of_type(run_dir: Path, t: str) -> List[Dict[str, Any]]:
    return [e for e in events(run_dir) if e["t"] == t]


def series(run_dir: Path) -> Dict[str, Dict[str, list]]:
    """Concatenate every metrics record into one {key: {step, value, time}}."""
    out: Dict[str, Dict[str, list]] = {}
    for rec in of_type(run_dir, "metrics"):
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


def start_runner(script: Path, store: Path, ext: Any = None, args: Optional[List[str]] = None) -> subprocess.Popen:
    """``python -m mlwb run script [args]`` in the background, speaking JSON-RPC to ``ext`` (a FakeExtension) if given."""
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    if ext is not None:
        env["MLWB_RPC_PIPE"] = ext.path
    return subprocess.Popen([sys.executable, "-m", "mlwb", "run", str(script), *(args or [])], env=env,
                            cwd=script.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def logs(run_dir: Path, stream: Optional[str] = None) -> List[str]:
    return [e["msg"] for e in of_type(run_dir, "log") if stream is None or e.get("stream") == stream]


def statuses(run_dir: Path) -> List[Dict[str, Any]]:
    return of_type(run_dir, "status")
