"""Throughput of ``metrics.log`` against a raw buffered JSONL writer, in the same process.

Prints one JSON object: {"figures": [{"name", "value", "unit", "baseline", "baseline_name", "ratio"}]}.
Run: /usr/bin/python3 python-runner/bench/bench_sdk.py [steps]
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlwb import Experiment  # noqa: E402

REPEATS = 3


def bench_sdk(root: Path, steps: int) -> float:
    exp = Experiment("bench/sdk", root=root).start()
    train = exp.metrics("train")
    t0 = time.perf_counter()
    for i in range(steps):
        train.log(step=i, loss=1.0 / (i + 1), acc=i / steps)
    exp.flush()
    elapsed = time.perf_counter() - t0
    exp.complete()
    return 2 * steps / elapsed


def bench_raw(root: Path, steps: int) -> float:
    t0 = time.perf_counter()
    with open(root / "raw.jsonl", "w", encoding="utf-8") as f:
        for i in range(steps):
            f.write(json.dumps({"step": i, "key": "train/loss", "value": 1.0 / (i + 1), "time": time.time()}) + "\n")
            f.write(json.dumps({"step": i, "key": "train/acc", "value": i / steps, "time": time.time()}) + "\n")
    elapsed = time.perf_counter() - t0
    return 2 * steps / elapsed


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sdk = max(bench_sdk(root, steps) for _ in range(REPEATS))
        raw = max(bench_raw(root, steps) for _ in range(REPEATS))
    print(json.dumps({"figures": [{
        "name": "sdk metrics.log throughput",
        "value": round(sdk),
        "unit": "points/s",
        "baseline": round(raw),
        "baseline_name": "raw buffered JSONL, one object per point",
        "ratio": round(sdk / raw, 2),
    }]}))


if __name__ == "__main__":
    main()
