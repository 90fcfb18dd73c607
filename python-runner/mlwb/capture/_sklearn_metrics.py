"""scikit-learn post-training metrics: what the script computes on the predictions of the models it fitted.

- ``sklearn.metrics`` functions returning a number (``accuracy_score``, ``f1_score``, ``roc_auc_score``,
  ``mean_squared_error``, ``r2_score``, ``log_loss``... every public ``*_score``, ``*_error``, ``*_loss``,
  ``*_deviance`` and ``matthews_corrcoef``) called on the output of ``predict`` / ``predict_proba`` /
  ``predict_log_proba`` / ``decision_function`` / ``score_samples`` / ``fit_predict`` of an estimator fitted in
  the run (or a numpy view of it: ``proba[:, 1]``) -> metric ``<data>/<function>``;
- ``estimator.score(X, y)`` of an estimator fitted in the run -> metric ``<data>/<Class>.score``;
- ``classification_report`` and ``confusion_matrix`` (``ConfusionMatrixDisplay``'s too) on such predictions -> JSON run files
  ``reports/<data>/classification_report.json`` / ``confusion_matrix.json`` (``-2``, ``-3``... when computed
  again), shown in the run dashboard.

``<data>`` is named after the variable holding the data in the caller (``X_test``/``y_test`` -> ``test``, see
``_names.py``), else ``train`` when the predictions are of the data the model was fitted on, else ``eval``.
Computing one metric again on the same data adds a point to its series (step 0, 1, 2...): a loop over models
gives one chart, not a metric per model.

Only top-level calls count: a metric inside ``score()``, a scorer inside a search or a cross-validation,
``permutation_importance``'s repeated scores are not logged again (``_scope.py``). Predictions are tracked by
identity with weak references (never kept alive; at most ``MAX_TRACKED`` at once). The script's results are
returned untouched; a failure here is said once and never reaches the script.
"""
from __future__ import annotations

import functools
import inspect
import math
import sys
import time
import warnings
import weakref
from types import FrameType
from typing import Any, Callable, Dict, Iterable, NamedTuple, Optional, Set, Tuple

from .. import _ambient, _autolog
from . import _scope
from ._budget import budget, note_once
from ._names import name_of

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "score_samples", "fit_predict")
SCALAR_SUFFIXES = ("_score", "_error", "_loss", "_deviance")
SCALAR_EXTRA = {"matthews_corrcoef"}
NOT_METRICS = {"check_scoring", "get_scorer", "get_scorer_names", "make_scorer", "consensus_score"}
REPORTS = ("classification_report", "confusion_matrix")
DISPLAY_MODULE = "sklearn.metrics._plot.confusion_matrix"
# Helpers that score a model many times over: their inner scores are nested, like a cross-validation's.
SCORING_HELPERS = {"sklearn.inspection._permutation_importance": "permutation_importance",
                   "sklearn.inspection._partial_dependence": "partial_dependence"}
MAX_TRACKED = 256
MAX_REPORT_FILES = 50
_MARK = "_mlwb_capture"


class Prediction(NamedTuple):
    estimator: str  # class name
    x_ref: Optional[Callable[[], Any]]  # the data predicted on (weak), or None
    x_name: Optional[str]  # its dataset name, looked up at once when it cannot be weakly referenced
    train: bool  # predicted on the very data the model was fitted on


_enabled = False
_fitted: "weakref.WeakSet[Any]" = weakref.WeakSet()
_fit_data: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
_patched: Set[type] = set()
_tracked: Dict[int, Tuple[Any, Prediction]] = {}
_report_names: Dict[str, int] = {}


def enable() -> None:
    global _enabled
    _enabled = True
    _report_names.clear()
    if _on_fit not in _autolog.fit_listeners:
        _autolog.fit_listeners.append(_on_fit)


def disable() -> None:
    global _enabled
    _enabled = False
    if _on_fit in _autolog.fit_listeners:
        _autolog.fit_listeners.remove(_on_fit)
    _tracked.clear()


# -- patching -------------------------------------------------------------------------------------------

def on_metrics_module(module: Any) -> None:
    """Right after the script's ``import sklearn.metrics``: its public metric functions become captured."""
    for name in getattr(module, "__all__", ()):
        fn = getattr(module, name, None)
        if not inspect.isfunction(fn) or getattr(fn, _MARK, False) or name in NOT_METRICS:
            continue
        if name in REPORTS:
            setattr(module, name, _wrap_metric(fn, name, report=True))
        elif name.endswith(SCALAR_SUFFIXES) or name in SCALAR_EXTRA:
            setattr(module, name, _wrap_metric(fn, name, report=False))
    # ConfusionMatrixDisplay.from_predictions / from_estimator compute theirs with the name they imported.
    display = sys.modules.get(DISPLAY_MODULE)
    original = getattr(display, "confusion_matrix", None)
    if display is not None and inspect.isfunction(original) and not getattr(original, _MARK, False):
        display.confusion_matrix = getattr(module, "confusion_matrix", original)


def on_scoring_helper(module: Any) -> None:
    name = SCORING_HELPERS.get(module.__name__)
    fn = getattr(module, name, None) if name else None
    if inspect.isfunction(fn) and not getattr(fn, "_mlwb_autolog", False):
        setattr(module, name, _autolog._scope(fn))


def _on_fit(est: Any, args: tuple, kwargs: Dict[str, Any], top: bool) -> None:
    """autolog's fit listener: remember the estimator (weakly) and capture its prediction methods."""
    if not _enabled:
        return
    _fitted.add(est)
    X = args[0] if args else kwargs.get("X")
    try:
        _fit_data[est] = weakref.ref(X) if X is not None else None
    except TypeError:
        _fit_data[est] = None
    cls = type(est)
    if cls not in _patched:
        _patched.add(cls)
        _patch_methods(cls)


def _patch_methods(cls: type) -> None:
    """Wrap predict-like methods and ``score`` where they are defined along the MRO (mixins included)."""
    for klass in cls.__mro__:
        if klass is object or klass.__module__ == "builtins":
            continue
        for name in (*PREDICT_METHODS, "score"):
            attr = klass.__dict__.get(name)
            wrap = _wrap_score if name == "score" else functools.partial(_wrap_predict, method=name)
            if inspect.isfunction(attr):
                if not getattr(attr, _MARK, False):
                    setattr(klass, name, wrap(attr))
            elif inspect.isfunction(getattr(attr, "fn", None)) and not getattr(attr.fn, _MARK, False):
                attr.fn = wrap(attr.fn)  # sklearn's available_if descriptor (SVC.predict_proba, Pipeline.predict)


def _mark(wrapper: Any) -> Any:
    setattr(wrapper, _MARK, True)
    return wrapper


def _wrap_predict(fn: Any, method: str) -> Any:
    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _enabled or _scope.nested():
            return fn(self, *args, **kwargs)
        _scope.enter()
        try:
            out = fn(self, *args, **kwargs)
        finally:
            _scope.leave()
        if self in _fitted:  # checked after the call: fit_predict fits first
            t0 = time.perf_counter()
            try:
                _track(out, self, args[0] if args else kwargs.get("X"))
            except Exception as e:
                note_once("track", f"could not follow a {method} result: {e!r}", "warn")
            budget.add(time.perf_counter() - t0)
        return out

    return _mark(wrapper)


def _wrap_score(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _enabled or _scope.nested() or self not in _fitted:
            return fn(self, *args, **kwargs)
        _scope.enter()
        try:
            result = fn(self, *args, **kwargs)
        finally:
            _scope.leave()
        t0 = time.perf_counter()
        try:
            X = args[0] if args else kwargs.get("X")
            y = args[1] if len(args) > 1 else kwargs.get("y")
            pred = Prediction(type(self).__name__, None, None, _is_fit_data(self, X))
            ds = _dataset(pred, X, (y,), sys._getframe(1))
            _log_metric(f"{ds}/{type(self).__name__}.score", result)
        except Exception as e:
            note_once("score", f"could not log a {type(self).__name__}.score: {e!r}", "warn")
        budget.add(time.perf_counter() - t0)
        return result

    return _mark(wrapper)


def _wrap_metric(fn: Any, name: str, report: bool) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _enabled or not _tracked or _scope.nested():
            return fn(*args, **kwargs)
        pred = _tracked_among(args, kwargs)
        if pred is None:
            return fn(*args, **kwargs)
        _scope.enter()
        try:
            result = fn(*args, **kwargs)
        finally:
            _scope.leave()
        t0 = time.perf_counter()
        try:
            x = pred.x_ref() if pred.x_ref is not None else None
            others = [v for v in (*args, *kwargs.values()) if _lookup(v) is None]
            ds = _dataset(pred, x, others[:1], sys._getframe(1))
            if report:
                _save_report(fn, name, ds, pred, args, kwargs, result)
            else:
                _log_metric(f"{ds}/{name}", result)
        except Exception as e:
            note_once(f"metric:{name}", f"could not log {name}: {e!r}", "warn")
        finally:
            budget.add(time.perf_counter() - t0)
        return result

    return _mark(wrapper)


# -- predictions ----------------------------------------------------------------------------------------

def _is_fit_data(est: Any, X: Any) -> bool:
    ref = _fit_data.get(est)
    return X is not None and ref is not None and ref() is X


def _track(out: Any, est: Any, X: Any) -> None:
    x_ref = x_name = None
    if X is not None:
        try:
            x_ref = weakref.ref(X)
        except TypeError:  # a list of rows: named now, while the caller still holds it
            x_name = name_of(X, sys._getframe(1))
    pred = Prediction(type(est).__name__, x_ref, x_name, _is_fit_data(est, X))
    # A view (predict_proba's transposed stack) is followed through the array that owns its memory: numpy
    # gives a view of a view that owner as its base, so `proba[:, 1]` is found by it.
    for obj in (out, getattr(out, "base", None)):
        if obj is None:
            continue
        key = id(obj)
        try:
            ref = weakref.ref(obj, lambda r, k=key: _forget(k, r))
        except TypeError:  # a list or a tuple: not followed
            continue
        _tracked.pop(key, None)
        _tracked[key] = (ref, pred)
    while len(_tracked) > MAX_TRACKED:
        del _tracked[next(iter(_tracked))]


def _forget(key: int, ref: Any) -> None:
    entry = _tracked.get(key)
    if entry is not None and entry[0] is ref:
        del _tracked[key]


def _lookup(v: Any) -> Optional[Prediction]:
    """The prediction ``v`` is, or a numpy view of (``proba[:, 1]``)."""
    for _ in range(3):
        if v is None:
            return None
        entry = _tracked.get(id(v))
        if entry is not None and entry[0]() is v:
            return entry[1]
        v = getattr(v, "base", None)
    return None


def _tracked_among(args: tuple, kwargs: Dict[str, Any]) -> Optional[Prediction]:
    for v in (*args, *kwargs.values()):
        pred = _lookup(v)
        if pred is not None:
            return pred
    return None


def _dataset(pred: Prediction, x: Any, others: Iterable[Any], frame: Optional[FrameType]) -> str:
    ds = name_of(x, frame) if x is not None else pred.x_name
    for other in others:
        if ds is not None:
            break
        ds = name_of(other, frame)
    if ds is None and pred.train:
        ds = "train"
    return ds or "eval"


# -- recording ------------------------------------------------------------------------------------------

def _scalar(v: Any) -> Optional[float]:
    if isinstance(v, (bool, int, float)):
        return float(v)
    if getattr(v, "ndim", None) == 0:
        return float(v)
    return None  # per-class arrays (average=None), tuples: not a single number


def _log_metric(key: str, value: Any) -> None:
    v = _scalar(value)
    exp = _ambient.owner()
    if v is None or exp is None or exp._run is None:
        return
    exp._run.journal.append_points([(key, v)], None, time.time())
    note_once("sklearn", f"scikit-learn metrics of the models fitted in this run are logged (first: {key})")


def _save_report(fn: Any, name: str, ds: str, pred: Prediction, args: tuple, kwargs: Dict[str, Any], result: Any) -> None:
    exp = _ambient.owner()
    if exp is None or exp._run is None:
        return
    if len(_report_names) >= MAX_REPORT_FILES or not budget.ok():
        note_once("reports", f"reports after the {len(_report_names)}th are not kept (the tracking budget is spent)")
        return
    if name == "classification_report":
        if isinstance(result, dict):
            report = result
        else:  # the script asked for text: compute it again as a dict, silently (its warnings were shown once)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _scope.enter()
                try:
                    report = fn(*args, **{**kwargs, "output_dict": True})
                finally:
                    _scope.leave()
        content: Dict[str, Any] = {"kind": name, "version": 1, "dataset": ds, "estimator": pred.estimator,
                                   "report": _clean(report)}
    else:
        labels = kwargs.get("labels")
        if labels is None:
            from sklearn.utils.multiclass import unique_labels  # loaded already: sklearn.metrics imports it

            y_true = args[0] if args else kwargs.get("y_true")
            y_pred = args[1] if len(args) > 1 else kwargs.get("y_pred")
            labels = unique_labels(y_true, y_pred)
        content = {"kind": name, "version": 1, "dataset": ds, "estimator": pred.estimator, "labels": _clean(list(labels)),
                   "matrix": _clean(result), "normalize": kwargs.get("normalize")}
    base = f"{ds}/{name}"
    n = _report_names.get(base, 0) + 1
    _report_names[base] = n
    exp.files("reports").save_json(content, to=f"{base}{'' if n == 1 else f'-{n}'}.json",
                                   description=f"{name.replace('_', ' ')} of {pred.estimator} on {ds}",
                                   tags=["report", name], metadata={"kind": name, "dataset": ds, "estimator": pred.estimator})
    note_once("report", f"{name} results are kept as run files (first: reports/{base}.json)")


def _clean(v: Any) -> Any:
    """JSON with what JSON.parse accepts: numpy values as Python ones, NaN and infinities as null."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    tolist = getattr(v, "tolist", None)
    if callable(tolist) and not isinstance(v, (str, bytes)):
        v = tolist()
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if v is None or isinstance(v, (bool, int, str)):
        return v
    return str(v)


HOOKS: Dict[str, Callable[[Any], None]] = {"sklearn.metrics": on_metrics_module,
                                           **{m: on_scoring_helper for m in SCORING_HELPERS}}
