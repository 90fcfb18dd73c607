"""Throughput of ``metrics.log`` against a raw buffered JSONL writer, in the same process.

Both log two values per step (``loss``, ``acc``) for ``steps`` steps, the SDK including its final flush.
Time is the process's CPU time (every thread: the SDK's flush thread counts), so other processes on a
shared machine move the figure less than wall time would; the two alternate over ``REPEATS`` pairs and
the figure is the median of each, with the spread of the pairs' ratios.

Prints one JSON object: {"figures": [{"name", "value", "unit", "baseline", "baseline_name", "ratio", ...}]}.
Run: /usr/bin/python3 python-runner/bench/bench_sdk.py [steps]
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlwb import Experiment  # noqa: E402

REPEATS = 9


def timed(fn: Callable[[], None]) -> Tuple[float, float]:
    """(CPU seconds, wall seconds)."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def sdk(root: Path, steps: int) -> Tuple[float, float]:
    exp = Experiment("bench/sdk", root=root).start()
    train = exp.metrics("train")

    def run() -> None:
        for i in range(steps):
            train.log(step=i, loss=1.0 / (i + 1), acc=i / steps)
        exp.flush()

    out = timed(run)
    exp.complete()
    return out


def raw(root: Path, steps: int) -> Tuple[float, float]:
    def run() -> None:
        with open(root / "raw.jsonl", "w", encoding="utf-8") as f:
            for i in range(steps):
                f.write(json.dumps({"step": i, "key": "train/loss", "value": 1.0 / (i + 1), "time": time.time()}) + "\n")
                f.write(json.dumps({"step": i, "key": "train/acc", "value": i / steps, "time": time.time()}) + "\n")

    return timed(run)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    points = 2 * steps
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for r in range(REPEATS):
            if r % 2:  # alternate which goes first
                b = raw(root, steps)
                a = sdk(root, steps)
            else:
                a = sdk(root, steps)
                b = raw(root, steps)
            pairs.append((a, b))
    sdk_cpu = statistics.median(points / a[0] for a, _ in pairs)
    raw_cpu = statistics.median(points / b[0] for _, b in pairs)
    ratios = sorted(b[0] / a[0] for a, b in pairs)
    print(json.dumps({"figures": [{
        "name": f"sdk metrics.log throughput (CPU time, median of {REPEATS})",
        "value": round(sdk_cpu),
        "unit": "points/s",
        "baseline": round(raw_cpu),
        "baseline_name": "raw buffered JSONL, one object per point",
        "ratio": round(sdk_cpu / raw_cpu, 2),
        "pair_ratio_min": round(ratios[0], 2), "pair_ratio_max": round(ratios[-1], 2),
        "wall_points_per_s": round(statistics.median(points / a[1] for a, _ in pairs)),
        "raw_wall_points_per_s": round(statistics.median(points / b[1] for _, b in pairs)),
    }]}))


if __name__ == "__main__":
    main()
