"""matplotlib figures the script draws, kept as PNG run files ``figures/<name>.png`` (the dashboard's Figures).

- ``Figure.savefig(path)`` (and ``plt.savefig``): after the script's own save, the figure is kept under the file's
  name (``roc.png`` -> ``figures/roc.png``; the PNG is copied when the script wrote one, else rendered). Saving
  one figure to one name again replaces that run file, as it replaced the script's file.
- ``plt.show()``: every open figure is kept first (under a non-interactive backend, such as a terminal without a
  display, show does nothing else); named after its label, suptitle or first axes title, else ``figure-<n>``.
- Figures still open when the run ends are kept then.

A figure kept once is not kept again until it changes (its axes, artists, titles, limits or size). Rendering is
optional work within the capture budget (``_budget.py``), at most ``MAX_FIGURES`` files per run; what is left out
is said once. matplotlib is never imported here: the hooks wait for the script's own import.
"""
from __future__ import annotations

import functools
import os
import re
import sys
import time
import weakref
from typing import Any, Callable, Dict, Optional, Tuple

from .. import _ambient
from ._budget import budget, note_once

MAX_FIGURES = 100
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
_MARK = "_mlwb_capture"

_enabled = False
_armed = False  # figures still open are kept when the run ends
_saving = False  # our own savefig: not captured again
_kept: Dict[int, Tuple[Any, str, tuple]] = {}  # id(figure) -> (weak ref, run file path, its signature then)
_owners: Dict[str, int] = {}  # run file path -> id(figure) kept there
_skipped = 0


def enable() -> None:
    global _enabled, _armed, _skipped
    _enabled = _armed = True
    _skipped = 0
    _kept.clear()
    _owners.clear()
    _ambient.add_finisher(finish)


def disable() -> None:
    global _enabled
    _enabled = False


# -- patching -------------------------------------------------------------------------------------------

def on_figure_module(module: Any) -> None:
    cls = getattr(module, "Figure", None)
    fn = cls.__dict__.get("savefig") if cls is not None else None
    if callable(fn) and not getattr(fn, _MARK, False):
        cls.savefig = _wrap_savefig(fn)


def on_pyplot(module: Any) -> None:
    fn = getattr(module, "show", None)
    if callable(fn) and not getattr(fn, _MARK, False):
        module.show = _wrap_show(fn)


def _wrap_savefig(fn: Any) -> Any:
    @functools.wraps(fn)
    def savefig(self: Any, fname: Any, *args: Any, **kwargs: Any) -> Any:
        result = fn(self, fname, *args, **kwargs)
        if _enabled and not _saving and isinstance(fname, (str, os.PathLike)):
            try:
                _keep_saved(self, os.fspath(fname), kwargs.get("format"))
            except Exception as e:
                note_once("savefig", f"could not keep a saved figure: {e!r}", "warn")
        return result

    setattr(savefig, _MARK, True)
    return savefig


def _wrap_show(fn: Any) -> Any:
    @functools.wraps(fn)
    def show(*args: Any, **kwargs: Any) -> Any:
        if _enabled:
            try:
                keep_open("show")
            except Exception as e:
                note_once("show", f"could not keep the figures shown: {e!r}", "warn")
        return fn(*args, **kwargs)

    setattr(show, _MARK, True)
    return show


def finish(holder: Any) -> None:
    """Before the run ends: keep the figures still open (only if the script imported pyplot)."""
    global _armed
    if not _armed:
        return
    _armed = False
    if "matplotlib.pyplot" in sys.modules:
        keep_open("end")
    if _skipped:
        note_once("figures-skipped", f"{_skipped} figure(s) were not kept (at most {MAX_FIGURES} per run, "
                                     "within the tracking budget)", "warn")


# -- keeping figures ------------------------------------------------------------------------------------

def keep_open(source: str) -> None:
    from matplotlib import _pylab_helpers  # pyplot is imported: so is this

    for manager in list(_pylab_helpers.Gcf.get_all_fig_managers()):
        fig = manager.canvas.figure
        if _unchanged(fig):
            continue
        number = getattr(manager, "num", None)
        try:  # one figure that cannot be drawn (a bad mathtext label) does not stop the others
            _keep(fig, _title(fig).lower() or (f"figure-{number}" if number is not None else "figure"), source, replace=False)
        except Exception as e:
            note_once("figure", f"could not keep figure {number}: {e!r}", "warn")
            _kept[id(fig)] = (weakref.ref(fig), "", _signature(fig))  # not tried again until it changes


def _keep_saved(fig: Any, fname: str, fmt: Optional[str]) -> None:
    stem, ext = os.path.splitext(os.path.basename(fname))
    png = (fmt or ext.lstrip(".")).lower() == "png" and os.path.isfile(fname)
    _keep(fig, stem or "figure", "savefig", replace=True, copy_from=fname if png else None)


def _keep(fig: Any, name: str, source: str, replace: bool, copy_from: Optional[str] = None) -> None:
    global _saving, _skipped
    exp = _ambient.owner()
    if exp is None:
        return
    if len(_owners) >= MAX_FIGURES or not budget.ok():
        _skipped += 1
        note_once("figures-budget", f"figures after the {len(_owners)}th are not kept: the tracking budget is spent "
                                    f"(at most {MAX_FIGURES} per run, a few % of the run's time)")
        return
    path = _path_for(_SLUG.sub("-", name).strip("-.") or "figure", fig, replace)
    title = _title(fig)
    info: Dict[str, Any] = {"description": title or None, "tags": ["figure"],
                            "metadata": {"kind": "figure", "source": source, **({"title": title} if title else {})}}
    t0 = time.perf_counter()
    _saving = True
    try:
        files = exp.files("figures")
        if copy_from is not None:
            files.save(copy_from, to=path, **info)
        else:
            files.save_fig(fig, to=path, format="png", **info)
    finally:
        _saving = False
        budget.add(time.perf_counter() - t0)
    _owners[path] = id(fig)
    _kept[id(fig)] = (weakref.ref(fig), path, _signature(fig))
    note_once("figures", f"matplotlib figures are kept as run files (first: figures/{path})")


def _path_for(base: str, fig: Any, replace: bool) -> str:
    """``base.png``, or ``base-2.png``... when another figure (or, from show, another state of it) has it."""
    n = 1
    while True:
        path = f"{base[:80]}{'' if n == 1 else f'-{n}'}.png"
        owner = _owners.get(path)
        if owner is None or (replace and owner == id(fig)):
            return path
        n += 1


def _unchanged(fig: Any) -> bool:
    entry = _kept.get(id(fig))
    return entry is not None and entry[0]() is fig and entry[2] == _signature(fig)


def _signature(fig: Any) -> tuple:
    """What a change to a figure changes: its size, axes, their artists, titles and limits (cheap, no drawing)."""
    def axes(ax: Any) -> tuple:
        return (len(ax.lines), len(ax.collections), len(ax.patches), len(ax.images), len(ax.texts),
                ax.get_title(), tuple(ax.get_xlim()), tuple(ax.get_ylim()))

    return (tuple(fig.get_size_inches()), len(fig.texts), _suptitle(fig), tuple(axes(ax) for ax in fig.axes))


def _suptitle(fig: Any) -> str:
    t = getattr(fig, "_suptitle", None)
    return t.get_text() if t is not None else ""


def _title(fig: Any) -> str:
    label = fig.get_label() or _suptitle(fig)
    if label:
        return str(label)
    for ax in fig.axes:
        if ax.get_title():
            return str(ax.get_title())
    return ""


HOOKS: Dict[str, Callable[[Any], None]] = {"matplotlib.figure": on_figure_module, "matplotlib.pyplot": on_pyplot}
