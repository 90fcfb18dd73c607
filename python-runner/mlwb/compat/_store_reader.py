"""Runs as the store's files say (run.json, events.jsonl, edits.jsonl), for the read side of the tracker APIs
(MLflow's get_run / search_runs). Standard library only; a run's journal is parsed again only when it grew."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from .._encode import decode_number
from .._store import is_safe_run_id


@dataclass
class RunView:
    id: str
    dir: Path
    experiment: str
    name: str
    status: str = "running"
    created: float = 0.0
    ended: Optional[float] = None
    parent: Optional[str] = None
    error: Optional[str] = None
    labels: List[str] = field(default_factory=list)  # run.json's tags (an edit from the UI replaces them)
    tags: Dict[str, str] = field(default_factory=dict)  # tags records (MLflow's key/value tags)
    params: Dict[str, Any] = field(default_factory=dict)
    series: Dict[str, Tuple[List[Any], List[float], List[float]]] = field(default_factory=dict)  # step, value, time
    files: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # live files by path
    deleted: bool = False
    manifest: Dict[str, Any] = field(default_factory=dict)

    def last(self, key: str) -> Optional[Tuple[Any, float, float]]:
        s = self.series.get(key)
        return (s[0][-1], s[1][-1], s[2][-1]) if s and s[0] else None


_cache: Dict[Path, Tuple[Tuple[int, int, int, int], RunView]] = {}


def read_run(store: Path, run_id: str) -> Optional[RunView]:
    if not is_safe_run_id(run_id):
        return None
    view = _read(store / "runs" / run_id)
    if view is None:
        return None
    _apply_edits(store, {view.id: view})
    return view


def list_runs(store: Path) -> List[RunView]:
    runs_dir = store / "runs"
    views: Dict[str, RunView] = {}
    try:
        entries = sorted(os.listdir(runs_dir))
    except OSError:
        return []
    for name in entries:
        if is_safe_run_id(name):
            view = _read(runs_dir / name)
            if view is not None:
                views[view.id] = view
    _apply_edits(store, views)
    return list(views.values())


def _stamp(path: Path) -> Tuple[int, int]:
    try:
        st = path.stat()
        return st.st_size, st.st_mtime_ns
    except OSError:
        return -1, 0


def _read(run_dir: Path) -> Optional[RunView]:
    stamp = _stamp(run_dir / "run.json") + _stamp(run_dir / "events.jsonl")
    cached = _cache.get(run_dir)
    if cached is not None and cached[0] == stamp:
        return _copy(cached[1])
    try:
        manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    exp = manifest.get("experiment") if isinstance(manifest.get("experiment"), dict) else {}
    view = RunView(id=run_dir.name, dir=run_dir, experiment=str(exp.get("id") or "default"),
                   name=str(manifest.get("name") or run_dir.name), created=float(manifest.get("created") or 0),
                   parent=manifest.get("parent") if isinstance(manifest.get("parent"), str) else None,
                   labels=[t for t in manifest.get("tags") or [] if isinstance(t, str)], manifest=manifest)
    try:
        with open(run_dir / "events.jsonl", "rb") as f:
            data = f.read()
    except OSError:
        data = b""
    for line in data[: data.rfind(b"\n") + 1].splitlines():  # a torn last line is not read yet
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            try:
                _apply(view, rec)
            except (TypeError, ValueError, AttributeError, KeyError):
                continue  # a malformed record is skipped, as the extension does; never the whole read
    _cache[run_dir] = (stamp, view)
    return _copy(view)


def _apply(view: RunView, rec: Dict[str, Any]) -> None:
    t = rec.get("t")
    if t == "metrics":
        for key, c in (rec.get("series") or {}).items():
            steps, values, times = list(c["step"]), [decode_number(v) for v in c["value"]], list(c["time"])
            if not len(steps) == len(values) == len(times):
                continue
            cols = view.series.setdefault(key, ([], [], []))
            cols[0].extend(steps)
            cols[1].extend(values)
            cols[2].extend(times)
    elif t == "params" and isinstance(rec.get("values"), dict):
        view.params.update(rec["values"])
    elif t == "tags" and isinstance(rec.get("tags"), dict):
        for k, v in rec["tags"].items():
            if v is None:
                view.tags.pop(str(k), None)  # deleted (MLflow's delete_tag)
            else:
                view.tags[str(k)] = str(v)
    elif t == "status":
        view.status = str(rec.get("status") or view.status)
        view.ended = None if view.status in ("running", "queued") else rec.get("ts")
        if rec.get("error"):
            view.error = str(rec["error"])
    elif t == "claimed" and isinstance(rec.get("experiment"), dict):
        view.experiment = str(rec["experiment"].get("id") or view.experiment)
        if rec.get("name"):
            view.name = str(rec["name"])
    elif t == "file" and isinstance(rec.get("path"), str):
        if rec.get("op") == "delete":
            view.files.pop(rec["path"], None)
        else:
            view.files[rec["path"]] = {k: rec.get(k) for k in ("id", "path", "size", "sha256", "description", "tags", "meta")}


def _copy(v: RunView) -> RunView:
    return RunView(id=v.id, dir=v.dir, experiment=v.experiment, name=v.name, status=v.status, created=v.created,
                   ended=v.ended, parent=v.parent, error=v.error, labels=list(v.labels), tags=dict(v.tags),
                   params=dict(v.params), series=v.series, files=dict(v.files), deleted=v.deleted, manifest=v.manifest)


def _apply_edits(store: Path, views: Dict[str, RunView]) -> None:
    """The UI's changes (edits.jsonl): renames, tags, deletions."""
    try:
        data = (store / "edits.jsonl").read_bytes()
    except OSError:
        return
    for line in data.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        view = views.get(rec.get("run")) if isinstance(rec, dict) else None
        if view is None:
            continue
        t = rec.get("t")
        if t == "run.renamed" and rec.get("name"):
            view.name = str(rec["name"])
        elif t == "run.tags" and isinstance(rec.get("tags"), list):
            view.labels = [str(x) for x in rec["tags"]]
        elif t == "run.deleted":
            view.deleted = True


def iter_files(view: RunView) -> Iterator[Dict[str, Any]]:
    return iter(sorted(view.files.values(), key=lambda f: f["path"]))
