"""Runner overhead: a script that fits 1,000 small sklearn models, run plainly and under the runner.

Prints one JSON object: {"figures": [{"name", "value", "unit", "baseline", "baseline_name", "ratio"}]}.
``value`` is ``python -m mlwb run script.py`` (autolog on, stdout captured, journal written; no VS Code),
``baseline`` is ``python script.py``; best of 3 each, interleaved, in the same run. Goal: ratio <= 1.10.
Two figures: wall-clock time (the goal) and CPU time (user + sys: less sensitive to a busy machine).
Run: /usr/bin/python3 python-runner/bench/bench_runner.py [fits] [model]   (model: logreg | tree)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNNER_DIR = Path(__file__).resolve().parents[1]
REPEATS = 3

SCRIPT = """\
import sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

X, y = load_iris(return_X_y=True)
fits, model = int(sys.argv[1]), sys.argv[2]
for i in range(fits):
    if model == "tree":
        m = DecisionTreeClassifier(max_depth=1 + i % 5, random_state=i).fit(X, y)
    else:
        m = LogisticRegression(C=0.1 + (i % 10) / 10, max_iter=500).fit(X, y)
    if i % 100 == 0:
        print(f"fit {i}: train acc {m.score(X, y):.3f}")
print("done")
"""


def timed(cmd: list, env: dict, cwd: Path) -> "tuple[float, float]":
    """Wall-clock seconds and CPU seconds (user + sys) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
    else:  # pragma: no cover - Windows: no rusage, report wall time twice
        proc.wait()
        wall = cpu = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} exited with {proc.returncode}")
    return wall, cpu


def figure(name: str, unit_name: str, value: float, baseline: float) -> dict:
    return {"name": name + unit_name, "value": round(value, 3), "unit": "s", "baseline": round(baseline, 3),
            "baseline_name": "the same script run plainly", "ratio": round(value / baseline, 3)}


def main() -> None:
    fits = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    model = sys.argv[2] if len(sys.argv) > 2 else "logreg"
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="mlwb-bench-") as tmp:
        root = Path(tmp)
        script = root / "fit_many.py"
        script.write_text(SCRIPT)
        env = {k: v for k, v in os.environ.items() if k not in ("MLWB_STORE", "MLWB_RPC_PIPE")}
        env.update(PYTHONPATH=str(RUNNER_DIR), MLWB_STORE=str(root / "store"))
        args = [str(script), str(fits), model]
        plain, runner = [], []
        timed([py, *args], env, root)  # warm the page cache once
        for _ in range(REPEATS):  # interleaved, so a burst of load on the machine hits both sides
            plain.append(timed([py, *args], env, root))
            runner.append(timed([py, "-m", "mlwb", "run", *args], env, root))
    name = f"runner overhead: {fits:,} small sklearn fits ({'DecisionTree' if model == 'tree' else 'LogisticRegression'} on iris)"
    print(json.dumps({"figures": [
        figure(name, "", min(w for w, _ in runner), min(w for w, _ in plain)),
        figure(name, ", CPU time", min(c for _, c in runner), min(c for _, c in plain)),
    ]}))


if __name__ == "__main__":
    main()
