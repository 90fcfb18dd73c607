"""TensorBoard's ``SummaryWriter`` onto mlwb runs: the stand-in class (``tensorboardX`` and ``torch.utils.tensorboard``
where TensorBoard is missing) and the recording that mirrors a real writer.

- ``add_scalar(tag, v, step)`` -> metric ``tag`` (``global_step`` None: each tag counts up from 0); ``add_scalars(main,
  {k: v})`` -> ``main/k``. A second log dir (``runs/x/val`` next to ``runs/x/train``) prefixes its tags with its
  folder name (``val/loss``): one run holds what TensorBoard shows as several.
- ``add_hparams(h, m)``: the first call's hparams are the run's params (and ``m`` its metrics); each later call (a
  sweep in one script, as TensorBoard's docs show) becomes a run of its own, nested in the script's run.
- ``add_text`` -> a log line (tag and step in its metadata); ``add_figure`` / ``add_image(s)`` -> PNG run files;
  ``add_histogram`` -> ``tag.count/.min/.max/.mean/.std`` metrics.
- Everything else (graphs, embeddings, PR curves, audio, video, meshes, custom layouts) says once that it is not
  recorded.
"""
from __future__ import annotations

import datetime
import os
import socket
import threading
import weakref
from typing import Any, Dict, Optional

from .. import _ambient
from .._experiment import Experiment
from . import _notes, _runs
from ._media import histogram_summary, image_png, to_numpy

_lock = threading.Lock()
_first_dir: Optional[str] = None
_prefixes: Dict[str, str] = {}
_recorders: "weakref.WeakKeyDictionary[Any, Recorder]" = weakref.WeakKeyDictionary()
_hparams_runs: Dict[str, int] = {}  # run id -> add_hparams calls recorded for it
_guard = threading.local()  # inside a mirrored call: the library's inner calls pass through


def _prefix(log_dir: str) -> str:
    global _first_dir
    key = os.path.abspath(log_dir)
    with _lock:
        if _first_dir is None:
            _first_dir = key
        if key not in _prefixes:
            _prefixes[key] = "" if key == _first_dir else os.path.basename(key.rstrip(os.sep)) + "/"
        return _prefixes[key]


def _reset() -> None:
    global _first_dir
    with _lock:
        _first_dir = None
        _prefixes.clear()
        _hparams_runs.clear()


def default_log_dir(comment: str = "") -> str:
    """``runs/<Mon01_12-00-00>_<host><comment>``, TensorBoard's default."""
    stamp = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class Recorder:
    """What one writer (one log dir) records into the run."""

    def __init__(self, log_dir: str) -> None:
        self.log_dir = str(log_dir)
        self.prefix = _prefix(self.log_dir)

    def _exp(self, what: str) -> Optional[Experiment]:
        exp = _ambient.target()
        if exp is None:
            _notes.unsupported("tb:closed", f"TensorBoard {what}: the run has ended, so this and later TensorBoard data "
                               "are not recorded by mlwb")
        return exp

    def scalar(self, tag: str, value: Any, step: Any = None, walltime: Optional[float] = None) -> None:
        exp = self._exp("add_scalar")
        if exp is not None:
            _runs.log_points(exp, {self.prefix + str(tag): value}, step, walltime)

    def scalars(self, main_tag: str, values: Dict[str, Any], step: Any = None, walltime: Optional[float] = None) -> None:
        exp = self._exp("add_scalars")
        if exp is not None:
            _runs.log_points(exp, {f"{self.prefix}{main_tag}/{k}": v for k, v in values.items()}, step, walltime)

    def hparams(self, hparam_dict: Dict[str, Any], metric_dict: Dict[str, Any], run_name: Optional[str] = None,
                step: Any = None) -> None:
        exp = self._exp("add_hparams")
        if exp is None:
            return
        run_id = str(exp.id)
        n = _hparams_runs.get(run_id, 0)
        _hparams_runs[run_id] = n + 1
        if n == 0:
            _runs.set_params(exp, hparam_dict)
            _runs.log_points(exp, metric_dict, step)
            return
        child = _runs.open_nested(exp._ref["id"], run_name or f"{exp._ref['name']}-hparams-{n}", run_id)
        try:
            _runs.set_params(child, hparam_dict)
            _runs.log_points(child, metric_dict, step)
            _runs.set_tags(child, {"tensorboard.hparams": ""})
        finally:
            child.complete()
        if n == 1:
            _notes.note("tb:hparams", "TensorBoard add_hparams called again: each further call is a run of its own, "
                        "nested in this one (params and metrics of that trial)")

    def text(self, tag: str, text: Any, step: Any = None) -> None:
        exp = self._exp("add_text")
        if exp is not None:
            meta: Dict[str, Any] = {"source": "tensorboard", "tag": self.prefix + str(tag)}
            if step is not None:
                meta["step"] = _runs.json_safe(step)
            exp.log(str(text), "info", **meta)

    def figure(self, tag: str, figure: Any, step: Any = None) -> None:
        exp = self._exp("add_figure")
        if exp is None:
            return
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        for i, fig in enumerate(figures):
            suffix = f"-{i}" if len(figures) > 1 else ""
            _runs.save_bytes(exp, self._media_path("figures", tag, step, suffix), image_png(fig), tags=["figure"],
                             metadata=self._meta(tag, step))

    def image(self, tag: str, img: Any, step: Any = None, dataformats: str = "CHW") -> None:
        exp = self._exp("add_image")
        if exp is not None:
            _runs.save_bytes(exp, self._media_path("images", tag, step, ""), image_png(img, dataformats), tags=["image"],
                             metadata=self._meta(tag, step))

    def images(self, tag: str, imgs: Any, step: Any = None, dataformats: str = "NCHW") -> None:
        exp = self._exp("add_images")
        if exp is None:
            return
        batch = to_numpy(imgs)
        fmt = dataformats.upper()
        if not fmt.startswith("N"):
            raise ValueError(f"add_images: dataformats {dataformats!r} must start with N")
        for i in range(batch.shape[0]):
            _runs.save_bytes(exp, self._media_path("images", tag, step, f"-{i}"), image_png(batch[i], fmt[1:]),
                             tags=["image"], metadata=self._meta(tag, step))

    def histogram(self, tag: str, values: Any, step: Any = None, walltime: Optional[float] = None) -> None:
        exp = self._exp("add_histogram")
        if exp is not None:
            stats = histogram_summary(values)
            _runs.log_points(exp, {f"{self.prefix}{tag}.{k}": v for k, v in stats.items()}, step, walltime)
            _notes.note("tb:histogram", "TensorBoard histograms are kept as summaries: <tag>.count/.min/.max/.mean/.std metrics")

    def histogram_raw(self, tag: str, vmin: float, vmax: float, num: float, vsum: float, sum_squares: float,
                      step: Any = None, walltime: Optional[float] = None) -> None:
        exp = self._exp("add_histogram_raw")
        if exp is None:
            return
        n = float(num)
        mean = float(vsum) / n if n else 0.0
        var = max(0.0, float(sum_squares) / n - mean * mean) if n else 0.0
        stats = {"count": n, "min": float(vmin), "max": float(vmax), "mean": mean, "std": var ** 0.5}
        _runs.log_points(exp, {f"{self.prefix}{tag}.{k}": v for k, v in stats.items()}, step, walltime)

    def _media_path(self, kind: str, tag: str, step: Any, suffix: str) -> str:
        safe = "/".join(p for p in (self.prefix + str(tag)).replace("\\", "/").split("/") if p not in ("", ".", ".."))
        return f"{kind}/{safe or 'untitled'}/step-{step if step is not None else 0}{suffix}.png"

    def _meta(self, tag: str, step: Any) -> Dict[str, Any]:
        return {"source": "tensorboard", "tag": self.prefix + str(tag), **({"step": _runs.json_safe(step)} if step is not None else {})}


def recorder_of(writer: Any) -> Recorder:
    rec = _recorders.get(writer)
    if rec is None:
        log_dir = getattr(writer, "log_dir", None) or getattr(writer, "logdir", None)
        get = getattr(writer, "get_logdir", None)
        if log_dir is None and callable(get):
            log_dir = get()
        rec = _recorders[writer] = Recorder(str(log_dir or "runs"))
    return rec


UNSUPPORTED = ("add_graph", "add_embedding", "add_pr_curve", "add_pr_curve_raw", "add_audio", "add_video", "add_mesh",
               "add_custom_scalars", "add_custom_scalars_multilinechart", "add_custom_scalars_marginchart", "add_onnx_graph",
               "add_openvino_graph", "add_tensor")


class Recording:
    """The add_* methods as TensorBoard names them, recording into the run (the stand-in's methods; the mirror calls
    them with the real writer as ``self``)."""

    def add_scalar(self, tag: str, scalar_value: Any, global_step: Any = None, walltime: Optional[float] = None,
                   new_style: bool = False, double_precision: bool = False, **kwargs: Any) -> None:
        recorder_of(self).scalar(tag, scalar_value, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: Dict[str, Any], global_step: Any = None,
                    walltime: Optional[float] = None) -> None:
        recorder_of(self).scalars(main_tag, tag_scalar_dict, global_step, walltime)

    def add_hparams(self, hparam_dict: Dict[str, Any], metric_dict: Dict[str, Any], hparam_domain_discrete: Any = None,
                    run_name: Optional[str] = None, global_step: Any = None, **kwargs: Any) -> None:
        recorder_of(self).hparams(hparam_dict, metric_dict, run_name, global_step)

    def add_text(self, tag: str, text_string: Any, global_step: Any = None, walltime: Optional[float] = None) -> None:
        recorder_of(self).text(tag, text_string, global_step)

    def add_figure(self, tag: str, figure: Any, global_step: Any = None, close: bool = True, walltime: Optional[float] = None) -> None:
        recorder_of(self).figure(tag, figure, global_step)

    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: Optional[float] = None,
                  dataformats: str = "CHW") -> None:
        recorder_of(self).image(tag, img_tensor, global_step, dataformats)

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: Optional[float] = None,
                   dataformats: str = "NCHW") -> None:
        recorder_of(self).images(tag, img_tensor, global_step, dataformats)

    def add_histogram(self, tag: str, values: Any, global_step: Any = None, bins: Any = "tensorflow",
                      walltime: Optional[float] = None, max_bins: Any = None) -> None:
        recorder_of(self).histogram(tag, values, global_step, walltime)

    def add_histogram_raw(self, tag: str, min: float, max: float, num: float, sum: float, sum_squares: float,  # noqa: A002
                          bucket_limits: Any = None, bucket_counts: Any = None, global_step: Any = None,
                          walltime: Optional[float] = None) -> None:
        recorder_of(self).histogram_raw(tag, min, max, num, sum, sum_squares, global_step, walltime)


RECORDED = [name for name in vars(Recording) if name.startswith("add_")]


def _not_recorded(name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> None:
        _notes.unsupported(f"tb:{name}", f"TensorBoard {name} is not supported by mlwb's SummaryWriter stand-in: "
                           "not recorded")
    method.__name__ = name
    return method


class SummaryWriter(Recording):
    """mlwb's stand-in for TensorBoard's ``SummaryWriter`` (TensorBoard is not installed): what it is given goes into
    the run of ``python -m mlwb run``. ``log_dir`` is created, as TensorBoard does, but holds no event files."""

    _mlwb_standin = True

    def __init__(self, log_dir: Optional[str] = None, comment: str = "", purge_step: Any = None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = "", *, logdir: Optional[str] = None, **kwargs: Any) -> None:
        self.log_dir = str(log_dir or logdir or default_log_dir(comment))
        self.logdir = self.log_dir  # tensorboardX's name
        os.makedirs(self.log_dir, exist_ok=True)
        recorder_of(self)

    def get_logdir(self) -> str:
        return self.log_dir

    def flush(self) -> None:
        exp = _ambient.target()
        if exp is not None:
            exp.flush()

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


for _name in UNSUPPORTED:
    setattr(SummaryWriter, _name, _not_recorded(_name))
