"""Running ``python -m mlwb evaluate`` (and friends) as the extension does, on sklearn's datasets."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

TESTS_DIR = Path(__file__).resolve().parent
RUNNER_DIR = TESTS_DIR.parent


def env(store: Optional[Path] = None) -> Dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("MLWB_RPC_PIPE", "MLWB_STORE")}
    # tests/ too: the test-only model classes below must unpickle in the child
    e["PYTHONPATH"] = os.pathsep.join([str(RUNNER_DIR), str(TESTS_DIR)])
    if store is not None:
        e["MLWB_STORE"] = str(store)
    return e


def mlwb(args: List[str], cwd: Path, store: Optional[Path] = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlwb", *args], env=env(store), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def lines(stdout: str) -> List[Dict[str, Any]]:
    """Every stdout line is one JSON object (the contract)."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def until(condition: Any, timeout: float = 60, what: str = "the condition") -> None:
    """Wait for ``condition()`` (polled), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def split_dataset(loader: Any, tmp: Path, name: str = "data", **kw: Any) -> Tuple[Any, Any, Any, Any, Path]:
    """Train on the even rows, evaluate on the odd ones (written as CSV with the target as "label")."""
    d = loader(as_frame=True, **kw)
    X, y = d.data, d.target
    Xtr, ytr, Xte, yte = X.iloc[::2], y.iloc[::2], X.iloc[1::2].reset_index(drop=True), y.iloc[1::2].reset_index(drop=True)
    path = tmp / f"{name}.csv"
    Xte.assign(label=yte).to_csv(path, index=False)
    return Xtr, ytr, Xte, yte, path


def save(model: Any, path: Path) -> Path:
    with open(path, "wb") as f:
        pickle.dump(model, f)
    return path


class BlockingClassifier:
    """A classifier whose predict() says it started (a marker file) and then waits for a file that never
    comes: a job that is certainly running when the test cancels it. Test-only (never shipped)."""

    classes_ = [0, 1]
    n_features_in_ = 2

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def predict(self, X: Any) -> Any:
        Path(self.marker).write_text("started")
        while not Path(self.marker + ".release").exists():
            time.sleep(0.05)
        return [0] * len(X)
