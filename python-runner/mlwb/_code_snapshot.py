"""A run's code snapshot (``python -m mlwb run``; ``--no-code-snapshot`` turns it off): the script as it was when the
run started and the workspace's Python files it imported, for Diff Runs' per-file code diff.

Content addressed and shared by every run of the store: ``<store>/code/<sha[:2]>/<sha256>`` is written once per
content; the run's ``code.json`` lists ``{path (relative to the workspace), sha256, size}``. Capped (a file over
1 MB, more than 200 files or 5 MB in all are left out, and ``capped`` says so). Standard library only.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ._store import atomic_write_json

ANNOUNCEMENT = ("code snapshot: the script and the workspace's Python files it imports are kept for Diff Runs "
                "(--no-code-snapshot turns it off)")
FILE_CAP = 1 << 20
TOTAL_CAP = 5 << 20
COUNT_CAP = 200
_SKIP_PARTS = {"site-packages", "dist-packages", "__pycache__", ".venv", "venv", ".tox", ".git", "node_modules"}
_PACKAGE_DIR = Path(__file__).resolve().parent  # mlwb itself is not the user's code


def workspace_of(store: Path, script: Path) -> Path:
    """The workspace: the store's folder for a ``.mlwb`` store, else the script's folder."""
    return store.parent if store.name == ".mlwb" else script.resolve().parent


def read_script(script: Path) -> Optional[bytes]:
    """The script's bytes before it runs (it may be edited while it runs)."""
    try:
        return script.read_bytes()
    except OSError:
        return None


def _imported(root: Path, store: Path) -> List[Path]:
    out = []
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if not isinstance(f, str) or not f.endswith(".py"):
            continue
        p = Path(f).resolve()
        try:
            rel = p.relative_to(root)
        except ValueError:
            continue
        if _SKIP_PARTS & set(rel.parts) or p.is_relative_to(store.resolve()) or p.is_relative_to(_PACKAGE_DIR):
            continue
        out.append(p)
    return sorted(set(out))


def _put(store: Path, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    blob = store / "code" / sha[:2] / sha
    if not blob.exists():
        blob.parent.mkdir(parents=True, exist_ok=True)
        tmp = blob.with_name(f".{sha}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, blob)
    return sha


def snapshot(store: Path, run_dir: Path, script: Path, script_bytes: Optional[bytes]) -> Tuple[Dict[str, Any], str]:
    """Writes the blobs and ``run_dir/code.json``; returns what it wrote and a one-line summary for the run's log."""
    root = workspace_of(store, script)
    files: List[Dict[str, Any]] = []
    capped: List[str] = []
    total = 0
    script_path = script.resolve()
    entries: List[Tuple[Path, Optional[bytes]]] = [(script_path, script_bytes)]
    entries += [(p, None) for p in _imported(root, store) if p != script_path]
    for path, data in entries:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = path.name  # a script outside the workspace: by its name
        if len(files) >= COUNT_CAP:
            capped.append(f"more than {COUNT_CAP} files")
            break
        try:
            data = path.read_bytes() if data is None else data
        except OSError:
            continue
        if len(data) > FILE_CAP:
            capped.append(f"{rel} is over {FILE_CAP >> 20} MB")
            continue
        if total + len(data) > TOTAL_CAP:
            capped.append(f"over {TOTAL_CAP >> 20} MB in all")
            break
        total += len(data)
        files.append({"path": rel, "sha256": _put(store, data), "size": len(data)})
    doc: Dict[str, Any] = {"v": 1, "root": str(root), "files": files}
    if capped:
        doc["capped"] = "; ".join(capped)
    atomic_write_json(run_dir / "code.json", doc)
    summary = f"code snapshot: {len(files)} file{'s' if len(files) != 1 else ''}, {total:,} bytes (--no-code-snapshot turns it off)"
    return doc, summary + (f"; left out: {doc['capped']}" if capped else "")


def read_manifest(run_dir: Path) -> Optional[Dict[str, Any]]:
    try:
        doc = json.loads((run_dir / "code.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
