"""The data files a run read (``python -m mlwb run``; ``--no-data-inputs`` turns it off): an audit hook on ``open``
notes the workspace's data files (CSV, Parquet, NumPy, pickle, JSON, …) opened for reading, and the end of the run
writes ``inputs.json`` in the run (path relative to the workspace, size, sha256). A file's sha256 is computed once
per content (``<store>/code/hashes.json`` remembers it by path, size and mtime). Standard library only.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from ._store import atomic_write_json

ANNOUNCEMENT = ("data inputs: the workspace data files the script reads are recorded with their sha256 "
                "(--no-data-inputs turns it off)")
DATA_EXTENSIONS = frozenset((".csv", ".tsv", ".txt", ".json", ".jsonl", ".parquet", ".pq", ".feather", ".arrow", ".npy",
                             ".npz", ".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".xlsx", ".xls", ".xml", ".yaml", ".yml",
                             ".tfrecord", ".pt", ".pth", ".bin", ".gz", ".zip", ".png", ".jpg", ".jpeg", ".wav"))
COUNT_CAP = 1000
_WRITE = os.O_WRONLY | os.O_RDWR | getattr(os, "O_APPEND", 0) | getattr(os, "O_CREAT", 0)


class _Recorder:
    def __init__(self) -> None:
        self.active = False
        self.root = ""
        self.store = ""
        self.seen: Set[str] = set()

    def hook(self, event: str, args: Any) -> None:
        if event != "open" or not self.active:
            return
        try:
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return
            p = os.fsdecode(path)
            if os.path.splitext(p)[1].lower() not in DATA_EXTENSIONS:
                return
            if isinstance(mode, str):
                if any(c in mode for c in "wax+"):
                    return
            elif isinstance(flags, int) and flags & _WRITE:
                return
            p = os.path.abspath(p)
            if p.startswith(self.root) and not p.startswith(self.store) and len(self.seen) < COUNT_CAP:
                self.seen.add(p)
        except Exception:
            return  # an audit hook must never disturb the script


_recorder = _Recorder()
_installed = False


def start(root: Path, store: Path) -> None:
    """Records from now on (audit hooks cannot be removed: the hook stays, idle, after ``stop``)."""
    global _installed
    _recorder.root = str(root.resolve()) + os.sep
    _recorder.store = str(store.resolve()) + os.sep
    _recorder.seen = set()
    _recorder.active = True
    if not _installed:
        sys.addaudithook(_recorder.hook)
        _installed = True


def stop() -> List[str]:
    _recorder.active = False
    return sorted(_recorder.seen)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write(store: Path, run_dir: Path, root: Path, paths: List[str]) -> Dict[str, Any]:
    """``run_dir/inputs.json`` for the files read (those that still exist), hashing only what the cache lacks."""
    cache_file = store / "code" / "hashes.json"
    try:
        cache: Dict[str, Any] = json.loads(cache_file.read_text(encoding="utf-8"))
        if not isinstance(cache, dict):
            cache = {}
    except (OSError, ValueError):
        cache = {}
    files = []
    dirty = False
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        key = f"{p}\0{st.st_size}\0{st.st_mtime_ns}"
        sha = cache.get(key)
        if not isinstance(sha, str):
            try:
                sha = _sha256(Path(p))
            except OSError:
                continue
            cache[key] = sha
            dirty = True
        files.append({"path": Path(p).relative_to(root.resolve()).as_posix(), "sha256": sha, "size": st.st_size})
    doc: Dict[str, Any] = {"v": 1, "root": str(root), "files": files}
    if len(paths) >= COUNT_CAP:
        doc["capped"] = f"more than {COUNT_CAP} files"
    atomic_write_json(run_dir / "inputs.json", doc)
    if dirty:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(cache_file, cache)
    return doc


def read_manifest(run_dir: Path) -> Optional[Dict[str, Any]]:
    try:
        doc = json.loads((run_dir / "inputs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
