"""``exp.files``: artifacts copied into ``<run>/files/``, described by ``file`` journal records."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from ._records import record

if TYPE_CHECKING:
    from ._experiment import Experiment

_CHUNK = 1 << 20


def safe_relpath(path: str) -> str:
    """Normalise a relative artifact path; absolute paths, ``..`` and NUL are a ``ValueError``."""
    if not isinstance(path, str) or "\x00" in path:
        raise ValueError(f"invalid file path {path!r}")
    p = path.replace("\\", "/")
    if p.startswith("/") or re.match(r"^[A-Za-z]:", p):
        raise ValueError(f"file path must be relative, got {path!r}")
    parts = [s for s in p.split("/") if s not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"file path must stay inside the run's files directory, got {path!r}")
    if not parts:
        raise ValueError(f"empty file path {path!r}")
    return "/".join(parts)


def _join(prefix: str, name: str) -> str:
    # The name is checked on its own: under a prefix, "/etc/passwd" must not pass as "prefix//etc/passwd".
    name = safe_relpath(name)
    return f"{prefix}/{name}" if prefix else name


class FileTable:
    """The files of one run: where they live and what the journal says about them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries: Dict[str, Dict[str, Any]] = {}  # id -> entry, deleted ones included
        self.by_path: Dict[str, str] = {}  # path -> id of the live entry

    def target(self, rel: str) -> Path:
        real_root = os.path.realpath(self.root)
        target = os.path.realpath(os.path.join(real_root, rel))
        if not target.startswith(real_root + os.sep):  # catches symlinks that point outside
            raise ValueError(f"file path {rel!r} resolves outside the run's files directory")
        return Path(target)

    def find(self, key: str) -> Dict[str, Any]:
        entry = self.entries.get(key)
        if entry is None:
            file_id = self.by_path.get(safe_relpath(key))
            entry = self.entries.get(file_id) if file_id else None
        if entry is None or entry["deleted"]:
            raise FileNotFoundError(f"no file with id or path {key!r} in this run")
        return entry

    def write(self, rel: str, produce: Callable[[str], Optional[str]]) -> Dict[str, Any]:
        """Write bytes at ``rel`` through a temp file (``produce(tmp)`` may return the sha256)."""
        target = self.target(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        # The temp name keeps the extension: savefig picks the format from it.
        tmp = target.with_name(f".tmp-{secrets.token_hex(4)}-{target.name}")
        try:
            sha = produce(str(tmp)) or _sha256(tmp)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        return {"size": target.stat().st_size, "sha256": sha}


def _sha256(path: "os.PathLike[str] | str") -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy(src: Path) -> Callable[[str], str]:
    """Copy ``src`` (its content, never a link) and hash it in the same pass."""
    if not src.is_file():
        raise FileNotFoundError(f"not a file: {src}")

    def produce(tmp: str) -> str:
        h = hashlib.sha256()
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            for chunk in iter(lambda: fin.read(_CHUNK), b""):
                h.update(chunk)
                fout.write(chunk)
        return h.hexdigest()

    return produce


def _public(entry: Dict[str, Any]) -> Dict[str, Any]:
    return {**entry, "tags": list(entry["tags"]), "metadata": dict(entry["metadata"])}


class FileBuilder:
    """Files of the current run under a logical prefix (a folder), with default description/tags.

    Example:
        >>> f = exp.files("models").save("model.pt", description="best", tags=["best"])
        >>> f["path"], len(f["sha256"])
        ('models/model.pt', 64)
        >>> exp.files("configs").save_json({"lr": 0.001}, to="config.json")["path"]
        'configs/config.json'
        >>> exp.files().download(f["id"], "copy.pt")
        '/abs/path/copy.pt'
        >>> exp.files().delete(f["id"])["deleted"]  # soft delete: the bytes stay
        True
    """

    def __init__(
        self,
        exp: "Experiment",
        prefix: str = "",
        *,
        file_id: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._exp = exp
        self._prefix = "" if prefix in ("", ".") else safe_relpath(prefix)
        self._file_id = file_id
        self._description = description
        self._tags = list(tags) if tags else []
        self._metadata = dict(metadata) if metadata else {}

    # -- saving ---------------------------------------------------------------------------

    def save(
        self,
        local_path: "str | os.PathLike[str]",
        *,
        to: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Copy a local file into the run as ``<prefix>/<to or its name>``; returns the file's dict."""
        src = Path(local_path)
        return self._save(to or src.name, _copy(src), description, tags, metadata)

    def save_json(self, content: Any, to: str, **kw: Any) -> Dict[str, Any]:
        """Serialise ``content`` as JSON into ``<prefix>/<to>``."""

        def produce(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(content, f, indent=2)

        return self._save(to, produce, **kw)

    def save_pkl(self, content: Any, to: str, **kw: Any) -> Dict[str, Any]:
        """Pickle ``content`` into ``<prefix>/<to>``."""

        def produce(tmp: str) -> None:
            with open(tmp, "wb") as f:
                pickle.dump(content, f)

        return self._save(to, produce, **kw)

    def save_torch(self, model: Any, to: str, **kw: Any) -> Dict[str, Any]:
        """``torch.save`` a module or a state dict into ``<prefix>/<to>`` (needs PyTorch)."""
        try:
            import torch
        except ImportError:
            raise ModuleNotFoundError("save_torch needs PyTorch, which this Python cannot import (pip install torch)") from None
        return self._save(to, lambda tmp: torch.save(model, tmp), **kw)

    def save_fig(self, fig: Any = None, *, to: str, description: Optional[str] = None, tags: Optional[Sequence[str]] = None,
                 metadata: Optional[Dict[str, Any]] = None, **savefig_kw: Any) -> Dict[str, Any]:
        """Save a matplotlib figure (the current one when ``fig`` is None); extra kwargs go to ``savefig``."""
        if fig is None:
            try:
                import matplotlib.pyplot as plt
            except ImportError:
                raise ModuleNotFoundError("save_fig needs matplotlib, which this Python cannot import") from None
            fig = plt.gcf()
        return self._save(to, lambda tmp: fig.savefig(tmp, **savefig_kw), description, tags, metadata)

    # -- reading and changing -------------------------------------------------------------

    def list(self) -> List[Dict[str, Any]]:
        """Live files under this builder's prefix (and carrying all its tags), oldest first."""
        table = self._table()
        p = self._prefix
        return [
            _public(e) for e in table.entries.values()
            if not e["deleted"] and (not p or e["path"] == p or e["path"].startswith(p + "/"))
            and all(t in e["tags"] for t in self._tags)
        ]

    def download(self, file_id: Optional[str] = None, dest_path: "str | os.PathLike[str] | None" = None) -> str:
        """Copy a file (by id, or by path in the run) to ``dest_path`` (default: its name in the cwd)."""
        entry = self._find(file_id)
        dest = Path(dest_path) if dest_path is not None else Path(entry["path"]).name
        dest = Path(dest).absolute()
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._table().target(entry["path"]), dest)
        return str(dest)

    def update(
        self,
        file_id: Optional[str] = None,
        *,
        local_path: "str | os.PathLike[str] | None" = None,
        description: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Change a file's description/tags/metadata (given ones replace), or its content (``local_path``)."""
        entry = self._find(file_id)
        if local_path is not None:
            entry.update(self._table().write(entry["path"], _copy(Path(local_path))))
        if description is not None:
            entry["description"] = description
        if tags is not None:
            entry["tags"] = list(tags)
        if metadata is not None:
            entry["metadata"] = dict(metadata)
        entry["updated"] = time.time()
        self._emit("update", entry)
        return _public(entry)

    def delete(self, file_id: Optional[str] = None) -> Dict[str, Any]:
        """Soft delete: the file disappears from :meth:`list` but its bytes stay in the run."""
        table = self._table()
        entry = self._find(file_id)
        entry["deleted"] = True
        entry["updated"] = time.time()
        table.by_path.pop(entry["path"], None)
        self._exp._journal().add(record("file", op="delete", id=entry["id"], path=entry["path"]))
        return _public(entry)

    # -- internals ------------------------------------------------------------------------

    def _table(self) -> FileTable:
        return self._exp._require_run().files

    def _find(self, key: Optional[str]) -> Dict[str, Any]:
        key = key or self._file_id
        if not key:
            raise ValueError("a file id (or path) is required")
        table = self._table()
        try:
            return table.find(key)
        except FileNotFoundError:
            if self._prefix and key not in table.entries:
                return table.find(_join(self._prefix, key))
            raise

    def _save(self, name: str, produce: Callable[[str], Optional[str]], description: Optional[str] = None,
              tags: Optional[Sequence[str]] = None, metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        table = self._table()
        rel = _join(self._prefix, name)
        written = table.write(rel, produce)
        now = time.time()
        # Saving to a live path again replaces its bytes and keeps its id (a new version of it).
        file_id = table.by_path.get(rel) or secrets.token_hex(6)
        entry = {
            "id": file_id, "path": rel, **written,
            "description": description if description is not None else self._description,
            "tags": list(tags) if tags is not None else list(self._tags),
            "metadata": {**self._metadata, **(metadata or {})},
            "created": table.entries[file_id]["created"] if file_id in table.entries else now,
            "updated": now, "deleted": False,
        }
        table.entries[file_id] = entry
        table.by_path[rel] = file_id
        self._emit("save", entry)
        return _public(entry)

    def _emit(self, op: str, e: Dict[str, Any]) -> None:
        rec = record("file", op=op, id=e["id"], path=e["path"], size=e["size"], sha256=e["sha256"])
        if e["description"] is not None:
            rec["description"] = e["description"]
        if e["tags"]:
            rec["tags"] = e["tags"]
        if e["metadata"]:
            rec["meta"] = e["metadata"]
        self._exp._journal().add(rec)
