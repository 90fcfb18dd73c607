"""Weights & Biases' SDK (offline semantics) onto mlwb runs: the stand-in ``wandb`` is this module under W&B's names,
and the mirror of a real ``wandb`` records through ``Recorder``.

- ``init(project=, name=, config=, tags=, group=, job_type=, notes=)``: the first claims the script's run (experiment =
  project); ``config`` -> params (nested dicts as ``a.b``), tags/group/job_type -> tags, notes -> a log line.
- ``log(data, step=, commit=)``: W&B's step rules (each committed call is a step; ``step=`` moves forward only);
  nested dicts are flattened with ``/``; numbers -> metric points; ``Image`` -> PNG files, ``Table`` and ``plot.*`` ->
  CSV files, ``Histogram`` and arrays -> ``key.count/.min/.max/.mean/.std``, ``Html`` -> .html files.
  ``define_metric(name, step_metric=)`` uses that metric as the step of the matching keys (``"train/*"`` globs).
- ``summary``: explicit values -> ``summary/<key>`` points (numbers); the whole summary -> ``wandb-summary.json``.
- ``finish(exit_code)``: the run ends (non-zero: failed). ``save`` / ``log_artifact``: run files.
"""
from __future__ import annotations

import glob
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .. import _ambient
from .._experiment import Experiment
from .._params import flatten
from . import _notes, _runs
from ._media import dataframe_rows, histogram_summary, image_png, table_csv

STANDIN_VERSION = "0.18.0+mlwb.standin"  # the W&B API level the stand-in follows


class Error(Exception):
    """``wandb.Error`` (``wandb.errors.Error``)."""


# -- media ------------------------------------------------------------------------------------------

class Image:
    """``wandb.Image``: converted to PNG when made (as W&B does), written when logged."""

    def __init__(self, data_or_path: Any, mode: Optional[str] = None, caption: Optional[str] = None, grouping: Any = None,
                 classes: Any = None, boxes: Any = None, masks: Any = None, file_type: Optional[str] = None, **kwargs: Any) -> None:
        self.caption = caption
        if isinstance(data_or_path, (str, os.PathLike)):
            self._png = Path(data_or_path).read_bytes()
            self._ext = Path(data_or_path).suffix.lstrip(".").lower() or "png"
        else:
            fmt = "CHW" if hasattr(data_or_path, "detach") and getattr(data_or_path, "ndim", 0) == 3 and data_or_path.shape[0] in (1, 3, 4) else "HWC"
            self._png = image_png(data_or_path, fmt)
            self._ext = "png"
        if boxes is not None or masks is not None:
            _notes.unsupported("wandb:overlays", "wandb.Image boxes/masks overlays are not kept by the wandb stand-in (the image is)")

    def _write(self, exp: Experiment, rel: str, meta: Dict[str, Any]) -> str:
        path = f"{rel}.{self._ext}"
        _runs.save_bytes(exp, path, self._png, tags=["image"], metadata={**meta, **({"caption": self.caption} if self.caption else {})},
                         description=self.caption)
        return path


class Html:
    def __init__(self, data: Any, inject: bool = True, **kwargs: Any) -> None:
        self._html = Path(data).read_text(encoding="utf-8") if isinstance(data, (str, os.PathLike)) and os.path.isfile(str(data)) \
            else (data.read() if hasattr(data, "read") else str(data))


class Histogram:
    def __init__(self, sequence: Any = None, np_histogram: Any = None, num_bins: int = 64) -> None:
        if np_histogram is not None:
            counts, edges = np_histogram
            centers = [(float(edges[i]) + float(edges[i + 1])) / 2 for i in range(len(counts))]
            n = float(sum(counts))
            mean = sum(c * x for c, x in zip(counts, centers)) / n if n else 0.0
            var = sum(c * (x - mean) ** 2 for c, x in zip(counts, centers)) / n if n else 0.0
            self.stats = {"count": n, "min": float(edges[0]), "max": float(edges[-1]), "mean": mean, "std": var ** 0.5}
        else:
            self.stats = histogram_summary(sequence)


class Table:
    """``wandb.Table``: logged as a CSV run file (images in cells are written as files, their paths in the cells)."""

    def __init__(self, columns: Optional[Sequence[Any]] = None, data: Optional[Sequence[Sequence[Any]]] = None,
                 rows: Optional[Sequence[Sequence[Any]]] = None, dataframe: Any = None, dtype: Any = None,
                 optional: Any = True, allow_mixed_types: bool = False, **kwargs: Any) -> None:
        frame = dataframe_rows(dataframe) if dataframe is not None else dataframe_rows(data) if data is not None and hasattr(data, "columns") else None
        if frame is not None:
            self.columns, self.data = [str(c) for c in frame[0]], frame[1]
            return
        self.data: List[List[Any]] = [list(r) for r in (data if data is not None else rows or [])]
        width = len(self.data[0]) if self.data else 0
        self.columns = [str(c) for c in columns] if columns is not None else [f"Column_{i + 1}" for i in range(width)]

    def add_data(self, *row: Any) -> None:
        if len(row) != len(self.columns):
            raise ValueError(f"This table expects {len(self.columns)} columns: {self.columns}, found {len(row)}")
        self.data.append(list(row))

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        if self.data and len(data) != len(self.data):
            raise ValueError(f"column {name!r} has {len(data)} values for {len(self.data)} rows")
        self.columns.append(str(name))
        if not self.data:
            self.data = [[v] for v in data]
        else:
            for row, v in zip(self.data, data):
                row.append(v)

    def get_column(self, name: str, convert_to: Optional[str] = None) -> List[Any]:
        i = self.columns.index(name)
        return [row[i] for row in self.data]

    def _write(self, exp: Experiment, rel: str, meta: Dict[str, Any]) -> str:
        rows = []
        for r, row in enumerate(self.data):
            cells = []
            for c, v in enumerate(row):
                if isinstance(v, Image):
                    v = v._write(exp, f"{rel}-media/r{r}c{c}", meta)
                cells.append(v)
            rows.append(cells)
        path = f"{rel}.csv"
        _runs.save_bytes(exp, path, table_csv(self.columns, rows), tags=["table"], metadata=meta)
        return path


class _ChartData:
    """What ``wandb.plot.*`` returns: the chart's data, kept as a table."""

    def __init__(self, kind: str, table: Table, fields: Dict[str, Any]) -> None:
        self.kind, self.table, self.fields = kind, table, fields


class _UnsupportedMedia:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


def _media_class(name: str) -> type:
    return type(name, (_UnsupportedMedia,), {"__doc__": f"wandb.{name}: not kept by mlwb's wandb stand-in (said when logged)"})


Audio, Video, Object3D, Molecule, Plotly = (_media_class(n) for n in ("Audio", "Video", "Object3D", "Molecule", "Plotly"))


# -- plots (wandb.plot) -----------------------------------------------------------------------------

def _plot(kind: str) -> Callable[..., _ChartData]:
    def make(table: Table, *fields: Any, **kw: Any) -> _ChartData:
        return _ChartData(kind, table, {"fields": list(fields), **{k: v for k, v in kw.items() if isinstance(v, (str, int, float))}})
    make.__name__ = kind
    return make


plot_line, plot_scatter, plot_bar, plot_histogram = (_plot(k) for k in ("line", "scatter", "bar", "histogram"))


def plot_line_series(xs: Sequence[Any], ys: Sequence[Sequence[Any]], keys: Optional[Sequence[str]] = None,
                     title: Optional[str] = None, xname: Optional[str] = None) -> _ChartData:
    many = len(xs) > 0 and isinstance(xs[0], (list, tuple))
    rows = []
    for i, series in enumerate(ys):
        name = keys[i] if keys and i < len(keys) else f"key_{i}"
        for x, y in zip(xs[i] if many else xs, series):
            rows.append([name, x, y])
    return _ChartData("line_series", Table(columns=["lineKey", xname or "x", "y"], data=rows), {"title": title})


def plot_confusion_matrix(probs: Any = None, y_true: Optional[Sequence[Any]] = None, preds: Optional[Sequence[Any]] = None,
                          class_names: Optional[Sequence[str]] = None, title: Optional[str] = None, **kw: Any) -> _ChartData:
    if preds is None and probs is not None:
        preds = [max(range(len(p)), key=lambda k: p[k]) for p in probs]
    labels = sorted({*list(y_true or []), *list(preds or [])}, key=str)
    index = {v: i for i, v in enumerate(labels)}
    names = list(class_names) if class_names else [str(v) for v in labels]
    counts: Dict[Tuple[int, int], int] = {}
    for t, p in zip(y_true or [], preds or []):
        key = (index[t], index[p])
        counts[key] = counts.get(key, 0) + 1
    rows = [[names[i] if i < len(names) else labels[i], names[j] if j < len(names) else labels[j], counts.get((i, j), 0)]
            for i in range(len(labels)) for j in range(len(labels))]
    return _ChartData("confusion_matrix", Table(columns=["Actual", "Predicted", "nPredictions"], data=rows), {"title": title})


def _plot_unsupported(kind: str) -> Callable[..., _ChartData]:
    def make(*args: Any, **kwargs: Any) -> _ChartData:
        _notes.unsupported(f"wandb:plot.{kind}", f"wandb.plot.{kind} is not computed by the wandb stand-in: not recorded")
        return _ChartData(kind, Table(columns=[]), {})
    return make


plot_roc_curve, plot_pr_curve = _plot_unsupported("roc_curve"), _plot_unsupported("pr_curve")


# -- config and summary -------------------------------------------------------------------------------

def _as_mapping(config: Any) -> Dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    if isinstance(config, (str, os.PathLike)):
        try:
            import yaml
        except ImportError:
            raise Error(f"config={config!r}: reading a YAML config file needs PyYAML") from None
        with open(config, encoding="utf-8") as f:
            loaded = yaml.safe_load(f) or {}
        return {k: (v["value"] if isinstance(v, dict) and set(v) <= {"value", "desc"} and "value" in v else v) for k, v in loaded.items()}
    if hasattr(config, "__dict__"):  # argparse.Namespace, simple objects
        return {k: v for k, v in vars(config).items() if not k.startswith("_")}
    raise Error(f"config must be a dict, an argparse Namespace or a YAML file path, got {type(config).__name__}")


class Config:
    """``wandb.config``: attribute and item access, ``update``; every change is the run's params."""

    def __init__(self, on_change: Callable[[Dict[str, Any]], None]) -> None:
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_on_change", on_change)

    def __getattr__(self, name: str) -> Any:
        items = object.__getattribute__(self, "_items")
        if name in items:
            return items[name]
        raise AttributeError(f"wandb.config has no key {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> Any:
        return self._items.keys()

    def items(self) -> Any:
        return self._items.items()

    def values(self) -> Any:
        return self._items.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)

    def as_dict(self) -> Dict[str, Any]:
        return dict(self._items)

    def update(self, d: Any = None, allow_val_change: Optional[bool] = None, **kwargs: Any) -> None:
        new = {**_as_mapping(d), **kwargs}
        if new:
            self._items.update(new)
            self._on_change(dict(self._items))

    def setdefaults(self, d: Mapping[str, Any]) -> None:
        self.update({k: v for k, v in dict(d).items() if k not in self._items})

    def __repr__(self) -> str:
        return repr(self._items)


class Summary(dict):
    """``run.summary``: the last logged value of each key, and what the script sets (kept as ``summary/<key>``)."""

    def __init__(self, on_set: Callable[[Dict[str, Any]], None]) -> None:
        super().__init__()
        self._on_set = on_set

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._on_set({key: value})

    def update(self, d: Any = None, **kwargs: Any) -> None:  # type: ignore[override]
        new = {**dict(d or {}), **kwargs}
        for k, v in new.items():
            super().__setitem__(k, v)
        self._on_set(new)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value


class _MetricDef:
    def __init__(self, name: str, step_metric: Optional[str]) -> None:
        self.name, self.step_metric = name, step_metric

    def matches(self, key: str) -> bool:
        return key.startswith(self.name[:-1]) if self.name.endswith("*") else key == self.name


# -- recording ------------------------------------------------------------------------------------

def flatten_log(data: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """``{"train": {"loss": 1}}`` -> ``{"train/loss": 1}`` (W&B's rule for nested dicts in log)."""
    out: Dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and not isinstance(v, Summary):
            out.update(flatten_log(v, key + "/"))
        else:
            out[key] = v
    return out


def _is_number(v: Any) -> bool:
    if isinstance(v, bool) or isinstance(v, (int, float)):
        return True
    return getattr(v, "shape", None) in ((), (1,)) and callable(getattr(v, "item", None)) and isinstance(v.item(), (int, float, bool))


class Recorder:
    """What one W&B run records into one mlwb run (used by the stand-in's Run and by the mirror)."""

    def __init__(self, exp: Experiment) -> None:
        self.exp = exp
        self.step = 0
        self.metrics: List[_MetricDef] = []
        self.last: Dict[str, Any] = {}  # last value of every key (W&B's automatic summary)
        self.explicit: Dict[str, Any] = {}
        self.saves: List[Tuple[str, Optional[str]]] = []
        self._lock = threading.Lock()

    def params(self, items: Mapping[str, Any]) -> None:
        self.exp.params.set(**{k: _runs.json_safe(v) for k, v in flatten(items).items()})

    def log(self, data: Mapping[str, Any], step: Optional[int] = None, commit: Optional[bool] = None) -> None:
        if not isinstance(data, Mapping):
            raise TypeError("wandb.log must be passed a dictionary")
        with self._lock:
            if step is not None:
                step = int(step)
                if step < self.step:
                    _notes.unsupported("wandb:step-back", f"wandb.log(step={step}) is below the current step {self.step}: "
                                       "ignored, as W&B ignores it (steps only move forward)")
                    return
                self.step = step
            at = self.step
            if commit or (commit is None and step is None):
                self.step += 1
        flat = flatten_log(data)
        self.last.update(flat)
        numbers: Dict[str, Any] = {}
        for key, value in flat.items():
            if _is_number(value):
                numbers[key] = value
            else:
                self._media(key, value, at)
        by_step: Dict[Any, Dict[str, Any]] = {}
        for key, value in numbers.items():
            by_step.setdefault(self._step_of(key, flat, at), {})[key] = value
        for s, values in by_step.items():
            _runs.log_points(self.exp, values, s)

    def _step_of(self, key: str, flat: Mapping[str, Any], default: int) -> Any:
        for m in reversed(self.metrics):
            if m.step_metric and m.step_metric != key and m.matches(key):
                v = flat.get(m.step_metric, self.last.get(m.step_metric))
                if v is not None and _is_number(v):
                    x = float(v.item() if hasattr(v, "item") else v)
                    return int(x) if x.is_integer() else x
        return default

    def _media(self, key: str, value: Any, step: int) -> None:
        meta = {"source": "wandb", "key": key, "step": step}
        rel = f"media/{key.strip('/') or 'value'}/step-{step}"
        if isinstance(value, Image):
            value._write(self.exp, rel, meta)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Image) for v in value):
            for i, img in enumerate(value):
                img._write(self.exp, f"{rel}-{i}", meta)
        elif isinstance(value, Table):
            value._write(self.exp, rel, meta)
        elif isinstance(value, _ChartData):
            if value.table.columns:
                value.table._write(self.exp, rel, {**meta, "chart": value.kind})
                _notes.note("wandb:charts", "wandb.plot charts are kept as their data (a CSV run file per chart)")
        elif isinstance(value, Histogram):
            _runs.log_points(self.exp, {f"{key}.{k}": v for k, v in value.stats.items()}, step)
        elif isinstance(value, Html):
            _runs.save_text(self.exp, f"{rel}.html", value._html, tags=["html"], metadata=meta)
        elif hasattr(value, "savefig"):  # a matplotlib figure, as W&B accepts
            Image(value)._write(self.exp, rel, meta)
        elif hasattr(value, "shape") or (isinstance(value, (list, tuple)) and value and all(_is_number(v) for v in value)):
            _runs.log_points(self.exp, {f"{key}.{k}": v for k, v in histogram_summary(value).items()}, step)
            _notes.note("wandb:arrays", "arrays logged with wandb.log are kept as summaries: <key>.count/.min/.max/.mean/.std")
        elif isinstance(value, str):
            self.exp.log(value, "info", source="wandb", key=key, step=step)
        elif value is None:
            return
        else:
            kind = type(value).__name__
            _notes.unsupported(f"wandb:media:{kind}", f"wandb.log of a {kind} ({key!r}) is not supported by the wandb stand-in: not recorded")

    def define_metric(self, name: str, step_metric: Optional[str] = None, summary: Optional[str] = None, **kwargs: Any) -> _MetricDef:
        m = _MetricDef(str(name), step_metric)
        self.metrics.append(m)
        if summary or kwargs.get("goal") or kwargs.get("hidden"):
            _notes.note("wandb:define_metric", "wandb.define_metric summary/goal/hidden: the run shows the min, max and last "
                        "value of every metric anyway")
        return m

    def summary_set(self, values: Mapping[str, Any]) -> None:
        self.explicit.update(values)
        numbers = {f"summary/{k}": v for k, v in flatten_log(values).items() if _is_number(v)}
        if numbers:
            _runs.log_points(self.exp, numbers, None)

    def save(self, glob_str: str, base_path: Optional[str] = None) -> List[str]:
        self.saves.append((str(glob_str), base_path))
        return self._copy_saved(str(glob_str), base_path)

    def _copy_saved(self, pattern: str, base_path: Optional[str]) -> List[str]:
        base = Path(base_path) if base_path else (Path(pattern).parent if os.path.isabs(pattern) else Path.cwd())
        saved = []
        for f in sorted(glob.glob(pattern, recursive=True)):
            p = Path(f)
            if p.is_file():
                try:
                    rel = p.resolve().relative_to(base.resolve()).as_posix()
                except ValueError:
                    rel = p.name
                _runs.save_file(self.exp, p, rel)
                saved.append(rel)
        return saved

    def finish(self, summary: Mapping[str, Any]) -> None:
        """Before the run ends: saved files again (their latest content) and ``wandb-summary.json``."""
        for pattern, base in self.saves:
            self._copy_saved(pattern, base)
        full = {k: v for k, v in {**self.last, **dict(summary)}.items() if _is_number(v) or isinstance(v, (str, bool)) or v is None}
        _runs.save_json(self.exp, "wandb-summary.json", {k: _runs.json_safe(v) for k, v in full.items()},
                        description="W&B run summary")


# -- artifacts --------------------------------------------------------------------------------------

class Artifact:
    """``wandb.Artifact``: its files are copied into the run under ``artifacts/<name>/`` when logged."""

    def __init__(self, name: str, type: str, description: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        self.name, self.type, self.description, self.metadata = name, type, description, dict(metadata or {})
        self._entries: List[Tuple[str, Path]] = []

    def add_file(self, local_path: str, name: Optional[str] = None, **kwargs: Any) -> None:
        self._entries.append((name or Path(local_path).name, Path(local_path)))

    def add_dir(self, local_path: str, name: Optional[str] = None, **kwargs: Any) -> None:
        root = Path(local_path)
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = f.relative_to(root).as_posix()
            self._entries.append((f"{name.strip('/')}/{rel}" if name else rel, f))

    def add_reference(self, uri: Any, name: Optional[str] = None, **kwargs: Any) -> None:
        _notes.unsupported("wandb:artifact-reference", "wandb.Artifact.add_reference: references are not fetched by the "
                           "wandb stand-in (only added files are kept)")

    def new_file(self, name: str, mode: str = "w", encoding: Optional[str] = None) -> Any:
        import tempfile

        d = Path(tempfile.mkdtemp(prefix="mlwb-artifact-"))
        path = d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self._entries.append((name, path))
        return open(path, mode, encoding=encoding) if "b" not in mode else open(path, mode)

    def _write(self, exp: Experiment, aliases: Sequence[str]) -> None:
        base = f"artifacts/{self.name.replace(':', '_')}"
        for rel, src in self._entries:
            _runs.save_file(exp, src, f"{base}/{rel}", tags=["artifact", self.type])
        _runs.save_json(exp, f"{base}/artifact.json", {"name": self.name, "type": self.type, "description": self.description,
                                                      "metadata": self.metadata, "aliases": list(aliases),
                                                      "files": [rel for rel, _ in self._entries]})


# -- the stand-in's Run and module functions --------------------------------------------------------------

class Run:
    """``wandb.Run`` (what ``wandb.init`` returns) on an mlwb run."""

    def __init__(self, exp: Optional[Experiment], project: str, name: str, tags: Sequence[str], notes: Optional[str],
                 group: Optional[str], job_type: Optional[str], disabled: bool = False) -> None:
        self._exp = exp
        self._disabled = disabled or exp is None
        self._rec = Recorder(exp) if exp is not None else None
        self.project, self.entity, self.group, self.job_type, self.notes = project, None, group, job_type, notes
        self._name = name
        self._tags = tuple(tags)
        self.id = str(exp.id) if exp is not None else "disabled"
        self.config = Config(self._rec.params if self._rec else lambda items: None)
        self.summary = Summary(self._rec.summary_set if self._rec else lambda v: None)
        self.dir = str(exp.run_dir / "files") if exp is not None and exp.run_dir else os.getcwd()
        self.url: Optional[str] = None
        self.offline = True
        self._finished = False

    @property
    def disabled(self) -> bool:
        return self._disabled

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)
        if self._exp is not None and self._exp._run is not None:
            _runs.rename(self._exp, self._name)

    @property
    def tags(self) -> Tuple[str, ...]:
        return self._tags

    @tags.setter
    def tags(self, value: Iterable[str]) -> None:
        new = tuple(str(t) for t in value)
        if self._exp is not None and self._exp._run is not None:
            _runs.set_tags(self._exp, {**{t: None for t in self._tags if t not in new}, **{t: "" for t in new}})
        self._tags = new

    @property
    def step(self) -> int:
        return self._rec.step if self._rec else 0

    @property
    def path(self) -> str:
        return f"{self.project}/{self.id}"

    def _live(self) -> Optional[Recorder]:
        if self._finished:
            raise Error("You must call wandb.init() before wandb.log(): this run has finished")
        return self._rec

    def log(self, data: Mapping[str, Any], step: Optional[int] = None, commit: Optional[bool] = None, sync: Optional[bool] = None) -> None:
        rec = self._live()
        if rec is not None:
            rec.log(data, step, commit)

    def define_metric(self, name: str, step_metric: Optional[str] = None, **kwargs: Any) -> Any:
        rec = self._rec
        return rec.define_metric(name, step_metric, **kwargs) if rec else _MetricDef(name, step_metric)

    def save(self, glob_str: str, base_path: Optional[str] = None, policy: str = "live") -> List[str]:
        rec = self._live()
        return rec.save(glob_str, base_path) if rec else []

    def log_artifact(self, artifact_or_path: Any, name: Optional[str] = None, type: Optional[str] = None,
                     aliases: Optional[Sequence[str]] = None, **kwargs: Any) -> Artifact:
        art = artifact_or_path
        if not isinstance(art, Artifact):
            p = Path(artifact_or_path)
            art = Artifact(name or p.name, type or "unspecified")
            (art.add_dir if p.is_dir() else art.add_file)(str(p))
        if self._exp is not None and self._live() is not None:
            art._write(self._exp, list(aliases or []))
        return art

    def use_artifact(self, *args: Any, **kwargs: Any) -> Any:
        raise Error("use_artifact needs the W&B server: the wandb stand-in (mlwb) cannot fetch artifacts")

    def watch(self, models: Any, criterion: Any = None, log: Optional[str] = "gradients", log_freq: int = 1000, **kwargs: Any) -> None:
        if log:
            _notes.unsupported("wandb:watch", f"wandb.watch(log={log!r}): gradient and parameter histograms are not recorded "
                               "by the wandb stand-in")

    def unwatch(self, models: Any = None) -> None:
        pass

    def alert(self, title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
        if self._exp is not None and self._exp._run is not None:
            self._exp.log(f"W&B alert: {title}: {text}", "warn", source="wandb")

    def log_code(self, root: str = ".", name: Optional[str] = None, **kwargs: Any) -> None:
        _notes.note("wandb:log_code", "wandb.log_code: the run already records the script, its git commit and uncommitted diff")

    def mark_preempting(self) -> None:
        pass

    def finish(self, exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
        if self._finished:
            return
        self._finished = True
        _forget(self)
        exp = self._exp
        if exp is None or exp._run is None:
            return
        if self._rec is not None:
            self._rec.finish(self.summary)
        if exit_code:
            exp._finish("failed", error=f"wandb.finish(exit_code={exit_code})", exit_code=int(exit_code))
        else:
            exp.complete()

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc is not None and not isinstance(exc, KeyboardInterrupt):
            if self._rec is not None and not self._finished:
                self._finished = True
                _forget(self)
                self._rec.finish(self.summary)
                if self._exp is not None:
                    self._exp._close_for(exc)
            return False
        self.finish(exit_code=None)
        return False

    def __repr__(self) -> str:
        return f"<wandb Run {self.id} ({self.name}) — mlwb stand-in>"


_run: Optional[Run] = None
_bind: Optional[Callable[[Optional[Run]], None]] = None  # sets wandb.run / config / summary / log on the stand-in module
_run_lock = threading.Lock()


def _forget(run: Run) -> None:
    global _run
    with _run_lock:
        if _run is run:
            _run = None
            if _bind is not None:
                _bind(None)


def init(project: Optional[str] = None, entity: Optional[str] = None, config: Any = None, name: Optional[str] = None,
         tags: Optional[Sequence[str]] = None, notes: Optional[str] = None, group: Optional[str] = None,
         job_type: Optional[str] = None, mode: Optional[str] = None, dir: Optional[str] = None, reinit: Any = None,
         id: Optional[str] = None, resume: Any = None, config_exclude_keys: Optional[Sequence[str]] = None,
         config_include_keys: Optional[Sequence[str]] = None, sync_tensorboard: Optional[bool] = None, **kwargs: Any) -> Run:
    global _run
    with _run_lock:
        current = _run
    if current is not None:
        if reinit in (False, "return_previous"):
            return current
        current.finish()
    items = _as_mapping(config)
    if config_include_keys:
        items = {k: v for k, v in items.items() if k in config_include_keys}
    if config_exclude_keys:
        items = {k: v for k, v in items.items() if k not in config_exclude_keys}
    if mode == "disabled" or os.environ.get("WANDB_MODE") == "disabled":
        _notes.note("wandb:disabled", "wandb.init(mode='disabled'): W&B logging is off, so what the script logs through "
                    "wandb is not recorded")
        run = Run(None, project or "disabled", name or "disabled", tags or [], notes, group, job_type, disabled=True)
        run.config.update(items)
        return _activate(run)
    if resume or id:
        _notes.unsupported("wandb:resume", "wandb.init(id=/resume=): the wandb stand-in starts a new run (W&B runs of other "
                           "processes cannot be resumed)")
    experiment = project or os.environ.get("WANDB_PROJECT")
    name = name or os.environ.get("WANDB_NAME")
    labels = [str(t) for t in (tags or [])]
    exp = _runs.open_run(experiment, name, labels=labels)
    extra = {k: v for k, v in (("group", group), ("job_type", job_type)) if v}
    if extra:
        _runs.set_tags(exp, extra)
    if notes:
        exp.log(f"W&B notes: {notes}", "info", source="wandb")
    if sync_tensorboard:
        _notes.note("wandb:sync_tensorboard", "wandb.init(sync_tensorboard=True): TensorBoard's SummaryWriter is recorded "
                    "into this run directly")
    run = Run(exp, exp._ref["id"], exp._run_name or str(exp.id), labels, notes, group, job_type)
    # The script's run ends without wandb.finish(): its summary and saved files are kept all the same.
    _ambient.add_finisher(lambda holder, run=run: run._rec.finish(run.summary)
                          if not run._finished and run._rec and run._exp is holder else None)
    run.config.update(items)
    return _activate(run)


def _activate(run: Run) -> Run:
    global _run
    with _run_lock:
        _run = run
        if _bind is not None:
            _bind(run)
    return run


def _require() -> Run:
    run = _run
    if run is None:
        raise Error("You must call wandb.init() before wandb.log()")
    return run


def log(data: Mapping[str, Any], step: Optional[int] = None, commit: Optional[bool] = None, sync: Optional[bool] = None) -> None:
    _require().log(data, step, commit)


def finish(exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
    run = _run
    if run is not None:
        run.finish(exit_code, quiet)


def define_metric(name: str, step_metric: Optional[str] = None, **kwargs: Any) -> Any:
    return _require().define_metric(name, step_metric, **kwargs)


def save(glob_str: str, base_path: Optional[str] = None, policy: str = "live") -> List[str]:
    return _require().save(glob_str, base_path, policy)


def log_artifact(artifact_or_path: Any, name: Optional[str] = None, type: Optional[str] = None,
                 aliases: Optional[Sequence[str]] = None, **kwargs: Any) -> Artifact:
    return _require().log_artifact(artifact_or_path, name, type, aliases)


def use_artifact(*args: Any, **kwargs: Any) -> Any:
    return _require().use_artifact(*args, **kwargs)


def watch(models: Any, criterion: Any = None, log: Optional[str] = "gradients", log_freq: int = 1000, **kwargs: Any) -> None:
    _require().watch(models, criterion, log, log_freq)


def unwatch(models: Any = None) -> None:
    pass


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    _require().alert(title, text, level, wait_duration)


def login(*args: Any, **kwargs: Any) -> bool:
    _notes.note("wandb:login", "wandb.login: not needed, the wandb stand-in works offline into this workspace's runs")
    return True


def setup(*args: Any, **kwargs: Any) -> None:
    pass


def require(*args: Any, **kwargs: Any) -> None:
    pass


class Settings:
    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


def termlog(string: str = "", newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    print(("wandb: " if prefix else "") + str(string), file=sys.stderr, end="\n" if newline else "")


def termwarn(string: str, **kwargs: Any) -> None:
    termlog(f"WARNING {string}")


def termerror(string: str, **kwargs: Any) -> None:
    termlog(f"ERROR {string}")


def sweep(*args: Any, **kwargs: Any) -> Any:
    raise Error("wandb.sweep needs the W&B server: the wandb stand-in (mlwb) does not run sweeps. Use MLOps Workbench: "
                "Tune Hyperparameters… instead")


def agent(*args: Any, **kwargs: Any) -> Any:
    sweep()


class Api:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise Error("wandb.Api reads the W&B server: not available with the wandb stand-in (mlwb). Open the runs in VS Code")
