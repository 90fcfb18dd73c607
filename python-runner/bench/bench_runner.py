"""Runner overhead: a script that fits 1,000 small sklearn models, run plainly and under the runner.

Prints one JSON object: {"figures": [{"name", "value", "unit", "baseline", "baseline_name", "ratio"}]}.
``value`` is ``python -m mlwb run script.py`` (autolog and the capture hooks on, stdout captured, journal written;
no VS Code), ``baseline`` is ``python script.py``; best of 3 each, interleaved, in the same run. Goal: ratio <= 1.05.
Figures, each as wall-clock time (the goal) and CPU time (user + sys: less sensitive to a busy machine):

- the 1,000-fit script (it scores its model every 100 fits: ``estimator.score`` is captured);
- the same fits with held-out metrics after each (``predict`` + ``accuracy_score`` + ``f1_score`` on a test split,
  hyperparameters from argparse): every capture hook of scikit-learn at work 1,000 times;
- what the capture hooks measured of their own cost in that run (their budget's count, the run log's last
  ``capture:`` line), against the plain run's wall time.

Run: /usr/bin/python3 python-runner/bench/bench_runner.py [fits] [model]   (model: logreg | tree)
"""
from __future__ import annotations

import glob
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

# The same fits, each followed by what a user's evaluation computes: the capture hooks' heaviest ordinary use.
SCRIPT_METRICS = """\
import argparse
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

parser = argparse.ArgumentParser()
parser.add_argument("fits", type=int)
parser.add_argument("model")
args = parser.parse_args()
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
for i in range(args.fits):
    if args.model == "tree":
        m = DecisionTreeClassifier(max_depth=1 + i % 5, random_state=i).fit(X_train, y_train)
    else:
        m = LogisticRegression(C=0.1 + (i % 10) / 10, max_iter=500).fit(X_train, y_train)
    pred = m.predict(X_test)
    acc, f1 = accuracy_score(y_test, pred), f1_score(y_test, pred, average="macro")
    if i % 100 == 0:
        print(f"fit {i}: test acc {acc:.3f} f1 {f1:.3f}")
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


def figure(name: str, unit_name: str, value: float, baseline: float, baseline_name: str = "the same script run plainly") -> dict:
    return {"name": name + unit_name, "value": round(value, 3), "unit": "s", "baseline": round(baseline, 3),
            "baseline_name": baseline_name, "ratio": round(value / baseline, 3)}


def measure(root: Path, text: str, name: str, args: list, env: dict) -> "tuple[list, list]":
    """(plain, runner) timings of one script, interleaved so a burst of load on the machine hits both sides."""
    py = sys.executable
    script = root / name
    script.write_text(text)
    argv = [str(script), *args]
    plain, runner = [], []
    timed([py, *argv], env, root)  # warm the page cache once
    for _ in range(REPEATS):
        plain.append(timed([py, *argv], env, root))
        runner.append(timed([py, "-m", "mlwb", "run", *argv], env, root))
    return plain, runner


def hooks_spent(store: Path) -> float:
    """The capture hooks' own measure of their cost in the latest run (the debug line they log at its end)."""
    latest = max(glob.glob(str(store / "runs" / "*" / "events.jsonl")), key=os.path.getmtime)
    spent = [json.loads(line)["meta"]["spent_s"] for line in open(latest, encoding="utf-8") if '"capture: the capture hooks spent' in line]
    return spent[-1] if spent else 0.0


def main() -> None:
    fits = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    model = sys.argv[2] if len(sys.argv) > 2 else "logreg"
    label = "DecisionTree" if model == "tree" else "LogisticRegression"
    with tempfile.TemporaryDirectory(prefix="mlwb-bench-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("MLWB_STORE", "MLWB_RPC_PIPE")}
        env.update(PYTHONPATH=str(RUNNER_DIR), MLWB_STORE=str(root / "store"))
        plain, runner = measure(root, SCRIPT, "fit_many.py", [str(fits), model], env)
        plain_m, runner_m = measure(root, SCRIPT_METRICS, "fit_and_evaluate.py", [str(fits), model], env)
        spent = hooks_spent(root / "store")
    name = f"runner overhead: {fits:,} small sklearn fits ({label} on iris)"
    name_m = f"runner overhead: {fits:,} fits + held-out metrics each (predict, accuracy_score, f1_score; argparse)"
    best = {k: min(v) for k, v in (("wall", [w for w, _ in plain_m]), ("cpu", [c for _, c in plain_m]))}
    print(json.dumps({"figures": [
        figure(name, "", min(w for w, _ in runner), min(w for w, _ in plain)),
        figure(name, ", CPU time", min(c for _, c in runner), min(c for _, c in plain)),
        figure(name_m, "", min(w for w, _ in runner_m), best["wall"]),
        figure(name_m, ", CPU time", min(c for _, c in runner_m), best["cpu"]),
        figure("capture hooks' own measured cost in that run (their budget's count)", "", spent, best["wall"],
               "the plain run's wall time"),
    ]}))


if __name__ == "__main__":
    main()
