"""The runner records the workspace data files a run reads (an audit hook on open): path, size, sha256."""
from __future__ import annotations

import hashlib
import json
import pickle
import textwrap
from pathlib import Path

import pytest

from helpers import run_dirs, run_runner


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "iris.csv").write_text("a,b\n1,2\n3,4\n")
    (ws / "data" / "model.pkl").write_bytes(pickle.dumps({"w": [1, 2]}))
    (tmp_path / "outside.csv").write_text("x\n1\n")
    (ws / "train.py").write_text(textwrap.dedent(f"""\
        import csv, os, pickle
        rows = list(csv.reader(open("data/iris.csv")))
        with open(os.path.join("data", "model.pkl"), "rb") as f:
            model = pickle.load(f)
        with open("data/out.csv", "w") as f:  # written, not read: no input
            f.write("y\\n")
        open({str(tmp_path / "outside.csv")!r}).read()  # outside the workspace
        print(len(rows), model["w"])
    """))
    return ws


def test_reads_are_recorded_with_size_and_sha256(tmp_path: Path):
    ws = _workspace(tmp_path)
    store = ws / ".mlwb"
    r = run_runner(ws / "train.py", store)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3 [1, 2]", "the script computes and prints what it would without the hook"
    doc = json.loads((run_dirs(store)[0] / "inputs.json").read_text())
    csv_bytes = (ws / "data" / "iris.csv").read_bytes()
    assert doc["files"] == [
        {"path": "data/iris.csv", "sha256": hashlib.sha256(csv_bytes).hexdigest(), "size": len(csv_bytes)},
        {"path": "data/model.pkl", "sha256": hashlib.sha256((ws / "data" / "model.pkl").read_bytes()).hexdigest(),
         "size": (ws / "data" / "model.pkl").stat().st_size},
    ]


def test_numpy_files_and_a_hash_computed_once_per_content(tmp_path: Path):
    np = pytest.importorskip("numpy")
    ws = tmp_path / "ws"
    ws.mkdir()
    np.save(ws / "x.npy", np.arange(10))
    (ws / "train.py").write_text("import numpy as np\nprint(int(np.load('x.npy').sum()))\n")
    store = ws / ".mlwb"
    assert run_runner(ws / "train.py", store).stdout.strip() == "45"
    first = json.loads((run_dirs(store)[0] / "inputs.json").read_text())["files"]
    assert [f["path"] for f in first] == ["x.npy"]
    # The store remembers the hash by path, size and mtime: a second run does not read the file to hash it again.
    cache_file = store / "code" / "hashes.json"
    cache = json.loads(cache_file.read_text())
    cache_file.write_text(json.dumps({k: "f" * 64 for k in cache}))
    assert run_runner(ws / "train.py", store).returncode == 0
    second = [json.loads((d / "inputs.json").read_text())["files"] for d in run_dirs(store)]
    assert sorted(f[0]["sha256"] for f in second) == sorted([first[0]["sha256"], "f" * 64])


def test_opt_out(tmp_path: Path):
    ws = _workspace(tmp_path)
    store = ws / ".mlwb"
    assert run_runner(ws / "train.py", store, opts=["--no-data-inputs"]).returncode == 0
    assert not (run_dirs(store)[0] / "inputs.json").exists()
