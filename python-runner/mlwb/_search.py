"""``mlwb.search_runs``: the workspace store's runs that match a query, as MLflow's ``search_runs`` returns them."""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _query
from ._store import PathLike, resolve_store
from .compat import _store_reader

_BASE = ["run_id", "experiment_id", "run_name", "status", "start_time", "end_time"]


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists


def _record(view: _store_reader.RunView) -> Dict[str, Any]:
    status = view.status
    m = view.manifest
    if status == "running" and m.get("host") == (os.environ.get("MLWB_HOST") or socket.gethostname()) and not _pid_alive(m.get("pid")):
        status = "crashed"  # its process is gone (the extension derives it the same way)
    metrics = {k: s[1][-1] for k, s in view.series.items() if s[1]}
    tags: Dict[str, str] = {label: "" for label in view.labels}
    tags.update(view.tags)
    return {"run_id": view.id, "run_name": view.name, "experiment_id": view.experiment, "status": status,
            "start_time": view.created * 1000,
            "end_time": view.ended * 1000 if isinstance(view.ended, (int, float)) else None,
            "duration": view.ended - view.created if isinstance(view.ended, (int, float)) else None,
            "params": dict(view.params), "metrics": metrics, "tags": tags}


def _sort_key(v: Any) -> Any:
    n = _query._as_number(v)
    return (0, n, "") if n is not None else (1, 0.0, _query.value_text(v))


def search_runs(filter_string: str = "", order_by: Optional[Sequence[str]] = None,
                experiment_names: Optional[Sequence[str]] = None, max_results: int = 100000,
                output_format: str = "auto", store: Optional[PathLike] = None) -> Union[Any, List[Dict[str, Any]]]:
    """The runs of the workspace store (``.mlwb/``) that match ``filter_string``, newest first unless ``order_by``.

    ``filter_string`` is the Runs view's query language: MLflow's search syntax plus OR, NOT and parentheses::

        mlwb.search_runs("metrics.`eval/acc` > 0.9 and (params.model = 'rf' or tags.team ILIKE 'ml%')",
                         order_by=["metrics.`eval/acc` DESC"], experiment_names=["iris"])

    Returns a pandas DataFrame with MLflow's columns (``run_id``, ``experiment_id``, ``run_name``, ``status`` as
    MLflow names it, ``start_time``, ``end_time``, ``metrics.*``, ``params.*``, ``tags.*``) when pandas can be
    imported, else (or with ``output_format="list"``) a list of dicts with the same keys. A bad filter raises
    ``QueryError`` naming the position; an unknown experiment name raises ``ValueError``.
    """
    if output_format not in ("auto", "pandas", "list"):
        raise ValueError(f"output_format {output_format!r}: use 'auto', 'pandas' or 'list'")
    if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results < 0:
        raise ValueError(f"max_results must be a non-negative integer, got {max_results!r}")
    node = _query.parse(filter_string)
    order = _query.parse_order_by([order_by] if isinstance(order_by, str) else order_by)
    root = resolve_store(store)
    views = [v for v in _store_reader.list_runs(Path(root)) if not v.deleted]
    if experiment_names is not None:
        names = [experiment_names] if isinstance(experiment_names, str) else list(experiment_names)
        known = {v.experiment for v in views}
        wanted = set()
        for name in names:
            ids = {e for e in known if e == name or e.rsplit("/", 1)[-1] == name}
            if not ids:
                raise ValueError(f"no experiment named {name!r} in {root} (experiments: {', '.join(sorted(known)) or 'none'})")
            wanted |= ids
        views = [v for v in views if v.experiment in wanted]
    records = [r for r in map(_record, views) if _query.matches(node, r)]
    records.sort(key=lambda r: (r["start_time"], r["run_id"]), reverse=True)
    for key, desc in reversed(order):
        present = [r for r in records if _query.value_of(r, key) is not None]
        missing = [r for r in records if _query.value_of(r, key) is None]  # runs without the key go last either way
        present.sort(key=lambda r: _sort_key(_query.value_of(r, key)), reverse=desc)
        records = present + missing
    rows = [_row(r) for r in records[:max_results]]
    if output_format == "list":
        return rows
    try:
        import pandas as pd
    except ImportError:
        if output_format == "pandas":
            raise ImportError("search_runs(output_format='pandas') needs pandas, which this Python cannot import") from None
        return rows
    for row in rows:
        row["start_time"] = pd.to_datetime(row["start_time"], unit="ms", utc=True)
        row["end_time"] = pd.to_datetime(row["end_time"], unit="ms", utc=True) if row["end_time"] is not None else pd.NaT
    extra = sorted({k for row in rows for k in row} - set(_BASE), key=lambda k: ({"metrics": 0, "params": 1, "tags": 2}[k.split(".", 1)[0]], k))
    return pd.DataFrame(rows, columns=_BASE + extra)


def _row(r: Dict[str, Any]) -> Dict[str, Any]:
    row: Dict[str, Any] = {"run_id": r["run_id"], "experiment_id": r["experiment_id"], "run_name": r["run_name"],
                           "status": _query.GRAMMAR["mlflow_status"].get(r["status"], r["status"].upper()),
                           "start_time": int(round(r["start_time"])),
                           "end_time": int(round(r["end_time"])) if r["end_time"] is not None else None}
    row.update({f"metrics.{k}": v for k, v in r["metrics"].items()})
    row.update({f"params.{k}": v for k, v in r["params"].items()})
    row.update({f"tags.{k}": v for k, v in r["tags"].items()})
    return row
