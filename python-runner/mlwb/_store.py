"""Where the store lives and how run directories are created and written."""
from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Optional, Tuple, Union

from ._encode import dumps

ENV_STORE = "MLWB_STORE"
STORE_DIRNAME = ".mlwb"

PathLike = Union[str, "os.PathLike[str]"]


def resolve_store(root: Optional[PathLike] = None) -> Path:
    """Return the store root.

    Order: ``$MLWB_STORE`` (set by the extension so every run lands in the workspace store),
    then ``root``, then the nearest ``.mlwb`` directory in the cwd or a parent, else ``./.mlwb``.
    """
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env).expanduser().absolute()
    if root is not None:
        return Path(root).expanduser().absolute()
    cwd = Path.cwd()
    for d in (cwd, *cwd.parents):
        candidate = d / STORE_DIRNAME
        if candidate.is_dir():
            return candidate
    return cwd / STORE_DIRNAME


_SAFE_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def is_safe_run_id(run_id: object) -> bool:
    """Run ids name directories: the extension's rule (src/store/paths.ts), so no id climbs out of ``runs/``."""
    return isinstance(run_id, str) and _SAFE_RUN_ID.fullmatch(run_id) is not None and ".." not in run_id


def new_run_id() -> str:
    """A time-sortable, unique-enough id: ``YYYYMMDD-HHMMSS-<6 hex>`` (UTC)."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def create_run_dir(store: Path) -> Tuple[str, Path]:
    """Create ``<store>/runs/<id>``; ``mkdir`` without ``exist_ok`` makes the id unique across processes."""
    runs = store / "runs"
    while True:
        run_id = new_run_id()
        run_dir = runs / run_id
        try:
            run_dir.mkdir(parents=True)
            return run_id, run_dir
        except FileExistsError:
            continue


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON through a temp file and ``os.replace``: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(dumps(obj, indent=2))
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
