"""What every tracker adapter does to an mlwb run: open one (claiming the script's run, or nested in another),
log params, points, tags and files into it. The adapters only translate their library's calls into these."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from .. import _ambient
from .._experiment import Experiment, default_name
from .._metrics import to_float
from .._records import record


def runner_defaults() -> Tuple[str, Optional[str]]:
    """The experiment and name of the runner's run: what a run opened without either keeps (claiming it must not
    move it to another experiment or drop the ``--name`` it was given)."""
    rr = _ambient.current()
    if rr is None:
        return default_name(), None
    owner = rr.owner
    return owner._ref["id"], owner._run_name


def open_run(experiment: Optional[str] = None, name: Optional[str] = None, labels: Iterable[str] = ()) -> Experiment:
    """Start a run: the script's own (the runner's run, while no one has claimed it), else a run of its own."""
    default_exp, default_run_name = runner_defaults()
    if _unclaimed():
        name = name or default_run_name
    exp = Experiment(experiment or default_exp, run_name=name).start()
    set_tags(exp, {str(t): "" for t in labels})
    return exp


def open_nested(experiment: Optional[str], name: Optional[str], parent_id: str) -> Experiment:
    """Start a run of its own whose run.json names ``parent_id`` as its ``parent`` (never the script's run)."""
    exp = Experiment(experiment or runner_defaults()[0], run_name=name)
    exp._parent = parent_id
    return exp.start()


def rename(exp: Experiment, name: str) -> None:
    """A new display name for an open run: a ``claimed`` record naming its experiment and the name, as a claim does."""
    exp._run_name = name
    exp._journal().add(record("claimed", experiment=exp._ref, name=name))


def _unclaimed() -> bool:
    rr = _ambient.current()
    return rr is not None and not rr.claimed


def set_tags(exp: Experiment, tags: Mapping[str, Any]) -> None:
    """A ``tags`` record: each key set to its value as text (labels: ""); None removes the key."""
    if tags:
        exp._journal().add(record("tags", tags={str(k): None if v is None else str(v) for k, v in tags.items()}))


def set_params(exp: Experiment, values: Mapping[str, Any]) -> None:
    if values:
        exp.params.set(**{str(k): json_safe(v) for k, v in values.items()})


def log_points(exp: Experiment, values: Mapping[str, Any], step: Optional[float] = None, t: Optional[float] = None) -> None:
    """One point per value; ``step`` None counts each key up from 0 (the SDK's rule)."""
    items = [(str(k), to_float(str(k), v)) for k, v in values.items()]
    if items:
        exp._journal().append_points(items, step, time.time() if t is None else t)


def json_safe(v: Any) -> Any:
    """A param value as the index keeps it: JSON scalars and short lists as they are, anything else as text."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if getattr(v, "shape", None) == () and callable(getattr(v, "item", None)):  # numpy / torch scalars
        try:
            return v.item()
        except Exception:
            pass
    if isinstance(v, (list, tuple)) and len(v) <= 50 and all(x is None or isinstance(x, (bool, int, float, str)) for x in v):
        return list(v)
    text = str(v)
    return text if len(text) <= 500 else text[:500] + "..."


# -- files -------------------------------------------------------------------------------------------

def _split(rel: str) -> Tuple[str, str]:
    rel = rel.replace("\\", "/").strip("/")
    prefix, _, name = rel.rpartition("/")
    return prefix, name


def save_file(exp: Experiment, local: "str | os.PathLike[str]", rel: str, **kw: Any) -> Dict[str, Any]:
    prefix, name = _split(rel)
    return exp.files(prefix).save(local, to=name, **kw)


def save_bytes(exp: Experiment, rel: str, data: bytes, **kw: Any) -> Dict[str, Any]:
    prefix, name = _split(rel)
    def produce(tmp: str) -> None:
        Path(tmp).write_bytes(data)

    return exp.files(prefix)._save(name, produce, **kw)


def save_text(exp: Experiment, rel: str, text: str, **kw: Any) -> Dict[str, Any]:
    return save_bytes(exp, rel, str(text).encode("utf-8"), **kw)


def save_json(exp: Experiment, rel: str, obj: Any, **kw: Any) -> Dict[str, Any]:
    return save_bytes(exp, rel, json.dumps(obj, indent=2, default=str).encode("utf-8"), **kw)


def save_figure(exp: Experiment, rel: str, fig: Any, **savefig_kw: Any) -> Dict[str, Any]:
    """A matplotlib figure as a PNG (or the format its name says) run file, tagged ``figure``."""
    prefix, name = _split(rel)
    return exp.files(prefix).save_fig(fig, to=name, tags=["figure"], **savefig_kw)


def files_dir(exp: Experiment) -> Optional[Path]:
    d = exp.run_dir
    return d / "files" if d is not None else None
