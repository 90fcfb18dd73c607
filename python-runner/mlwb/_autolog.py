"""sklearn autologging for scripts run by ``python -m mlwb run`` (``--no-autolog`` turns it off).

sklearn is never imported here: a meta-path hook waits for the script to import ``sklearn.base``,
then every ``BaseEstimator`` subclass (those defined later too, via ``__init_subclass__``) gets its
own ``fit`` / ``fit_transform`` / ``fit_predict`` wrapped.

Only TOP-LEVEL fits are logged, as MLflow's autolog does: a fit that starts while another fit (or a
cross-validation helper: cross_val_score, cross_validate, cross_val_predict, learning_curve...) is
running anywhere in the process (GridSearchCV's candidates, a Pipeline's steps, the folds of
cross_val_score, a forest's trees fitted on joblib threads) is nested and passes straight through, and so is a fit
scikit-learn's own code makes outside any fit (the LabelEncoder inside ``classification_report``). For a top-level
fit number ``n`` (per estimator class, from 0) of class ``C``:

- metric ``autolog/C/fit_time_s`` at step ``n``, and params ``autolog.C.<param>``
  (``get_params(deep=False)`` as the fit saw them, JSON-safe, plus ``autolog.C.class``): written again whenever
  they differ from the last fit's, so the run shows the params of the LATEST fit of each class (a warm-started
  model grown over several fits shows its final ``n_estimators``; ``set_params`` between fits is seen);
- metric ``autolog/C/training_score`` (``est.score(X, y)`` when ``y`` was given; a score that raises is
  skipped) at step ``n``;
- the fitted model pickled to the run file ``autolog/C.pkl``: ONE file per class, replaced by each
  newer fit (its metadata says which fit it holds): the latest model, with the params logged for that fit
  (a deferred save of a model whose params were changed after its fit pickles a copy with the fit's params).

Tracking must not slow the script down: the optional work (training scores, model saves) is done
while it, with what the capture hooks spend (:func:`spent_elsewhere`), costs at most ``BUDGET`` (1 %) of the time
spent fitting plus ``ALLOWANCE_S``; beyond that
(e.g. a loop of 1,000 tiny models) scores get sparser and saves are deferred, and the latest
unsaved model of each class is saved when the run ends. Fit times are always logged.

Everything goes into the runner's run (the script's run, claimed or not) while it is open.

Other capture hooks (``mlwb.capture``) learn about fits through :data:`fit_listeners` (every fit, nested ones
too) and ask :func:`nested` whether a call happens inside a fit or a cross-validation.
"""
from __future__ import annotations

import copy
import functools
import inspect
import os
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from . import _ambient
from ._import_hook import PatchOnImport, replace
from ._records import record

METHODS = ("fit", "fit_transform", "fit_predict")
CV_FUNCTIONS = ("cross_validate", "cross_val_score", "cross_val_predict", "learning_curve", "validation_curve",
                "permutation_test_score")
BUDGET = 0.01  # optional work (scores, model saves) may add this fraction of the time spent fitting...
ALLOWANCE_S = 0.05  # ... plus this much, so the first fits always get everything
_PARAM_REPR_CAP = 500

_enabled = False
_active = 0
_active_lock = threading.Lock()
_fits: Dict[Tuple[str, str], int] = {}  # (run id, class) -> top-level fits so far: each run (an MLflow nested one too) counts its own
_fit_s = 0.0  # time spent in top-level fits
_extra_s = 0.0  # time spent scoring and saving models
_unsaved: Dict[str, Tuple[Any, Dict[str, Any], Dict[str, Any]]] = {}  # class -> (estimator, metadata, its fit's params)
_logged_params: Dict[str, Dict[str, Any]] = {}  # class -> the params last written for it
_signatures: Dict[str, Dict[str, Any]] = {}  # run id -> the signature last saved as autolog/signature.json
_param_names: Dict[type, Optional[Tuple[str, ...]]] = {}  # classes with BaseEstimator's own get_params
_warned: Set[str] = set()
_top: Optional[Any] = None  # the estimator of the top-level fit in progress
_sklearn_dir: Optional[str] = None

# Called after every fit, nested ones too: (estimator, args, kwargs, top_level). Must be cheap and never raise.
fit_listeners: List[Callable[[Any, tuple, Dict[str, Any], bool], None]] = []


def nested() -> bool:
    """True while a fit or a cross-validation helper runs anywhere in the process."""
    return _active > 0


def top_level_estimator() -> Optional[Any]:
    """The estimator whose top-level fit is in progress, if any."""
    return _top


def spent_elsewhere(seconds: float) -> None:
    """Time other tracking work (the capture hooks) spent: autolog's optional work shares one budget with it."""
    global _extra_s
    _extra_s += seconds


_hook: Optional[PatchOnImport] = None


def install() -> None:
    """Enable autologging: patch now if sklearn is already imported, else when the script imports it."""
    global _enabled, _hook
    _enabled = True
    _ambient.add_finisher(_finish)
    _hook = replace(_hook, PatchOnImport(_HOOKS, lambda name, e: _warn("install", f"autolog: could not patch {name}: {e!r}")))


def enabled() -> bool:
    return _enabled


def uninstall() -> None:
    """Stop logging (patched classes stay patched but pass straight through)."""
    global _enabled
    _enabled = False
    if _hook is not None:
        _hook.remove()


def _on_validation(module: Any) -> None:
    """Cross-validation helpers are parents like a search: the fits they make inside are nested."""
    for name in CV_FUNCTIONS:
        fn = getattr(module, name, None)
        if inspect.isfunction(fn) and not getattr(fn, "_mlwb_autolog", False):
            setattr(module, name, _scope(fn))


def _scope(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _active
        with _active_lock:
            _active += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _active_lock:
                _active -= 1

    wrapper._mlwb_autolog = True  # type: ignore[attr-defined]
    return wrapper


def _on_base(module: Any) -> None:
    base = getattr(module, "BaseEstimator", None)
    if base is None or base.__dict__.get("_mlwb_autolog"):
        return
    own = base.__dict__.get("__init_subclass__")

    def __init_subclass__(cls: type, **kwargs: Any) -> None:
        if own is not None:
            own.__func__(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)
        patch_class(cls)

    base.__init_subclass__ = classmethod(__init_subclass__)
    base._mlwb_autolog = True
    todo = list(base.__subclasses__())
    seen: Set[type] = set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        patch_class(cls)
        todo.extend(cls.__subclasses__())


def patch_class(cls: type) -> None:
    for name in METHODS:
        fn = cls.__dict__.get(name)
        if inspect.isfunction(fn) and not getattr(fn, "_mlwb_autolog", False):
            setattr(cls, name, _wrap(fn, name))


def _wrap(fn: Any, method: str) -> Any:
    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _active, _top
        if not _enabled:
            return fn(self, *args, **kwargs)
        with _active_lock:
            top = _active == 0
            _active += 1
        try:
            if not top or _called_by_sklearn():
                result = fn(self, *args, **kwargs)
                _tell(self, args, kwargs, False)
                return result
            _top = self
            t0 = time.perf_counter()
            try:
                result = fn(self, *args, **kwargs)
            finally:
                _top = None
            elapsed = time.perf_counter() - t0
            try:
                _log_fit(self, args, kwargs, elapsed)  # still "active": fits inside score() are nested
            except Exception as e:
                _warn(type(self).__name__, f"autolog: could not log a {type(self).__name__} fit: {e!r}")
            _tell(self, args, kwargs, True)
            return result
        finally:
            with _active_lock:
                _active -= 1

    wrapper._mlwb_autolog = True  # type: ignore[attr-defined]
    return wrapper


def _called_by_sklearn() -> bool:
    """A fit scikit-learn itself makes outside any fit (a LabelEncoder inside ``classification_report``, a
    display's helpers) is not the script's: it is nested too."""
    global _sklearn_dir
    if _sklearn_dir is None:
        mod = sys.modules.get("sklearn")
        _sklearn_dir = os.path.dirname(os.path.abspath(mod.__file__)) + os.sep if mod and getattr(mod, "__file__", None) else ""
    caller = sys._getframe(2)  # _wrap's wrapper is frame 1
    return bool(_sklearn_dir) and caller.f_code.co_filename.startswith(_sklearn_dir)


def _tell(est: Any, args: tuple, kwargs: Dict[str, Any], top: bool) -> None:
    for listener in fit_listeners:
        try:
            listener(est, args, kwargs, top)
        except Exception as e:  # a capture hook must never break a fit
            _warn(f"listener:{getattr(listener, '__qualname__', listener)}", f"autolog: a fit listener failed: {e!r}")


def fit_params(est: Any) -> Dict[str, Any]:
    """``est.get_params(deep=False)``, cheaply: BaseEstimator's own get_params reads the ``__init__`` signature on
    every call (~30 us), so for classes that keep it the parameter names are read once per class."""
    cls = type(est)
    names = _param_names.get(cls, ())
    if names == ():
        own = getattr(cls, "get_params", None)
        base = next((c for c in cls.__mro__ if c.__name__ == "BaseEstimator" and "get_params" in c.__dict__), None)
        getter = getattr(cls, "_get_param_names", None)
        names = tuple(getter()) if base is not None and own is base.__dict__["get_params"] and callable(getter) else None
        _param_names[cls] = names
    if names is None:
        return dict(est.get_params(deep=False))
    return {k: getattr(est, k, None) for k in names}


def _json_safe(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)) and len(v) <= 50 and all(x is None or isinstance(x, (bool, int, float, str)) for x in v):
        return list(v)
    text = repr(v)
    return text if len(text) <= _PARAM_REPR_CAP else text[:_PARAM_REPR_CAP] + "..."


def _spend_ok() -> bool:
    """Whether the optional work (training score, model save) still fits in the overhead budget."""
    return _extra_s <= BUDGET * _fit_s + ALLOWANCE_S


def _log_fit(est: Any, args: tuple, kwargs: Dict[str, Any], elapsed: float) -> None:
    global _fit_s, _extra_s
    exp = _ambient.target()  # the active MLflow nested run, if the script opened one
    if exp is None:
        return
    run = exp._run
    if run is None:
        return
    journal = run.journal
    cls = type(est)
    name = cls.__name__
    n = _fits.get((run.id, name), 0)
    _fits[(run.id, name)] = n + 1
    _fit_s += elapsed
    items = [(f"autolog/{name}/fit_time_s", elapsed)]

    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    score: Optional[float] = None
    if y is not None and X is not None and callable(getattr(est, "score", None)) and _spend_ok():
        t0 = time.perf_counter()
        try:
            score = float(est.score(X, y))
        except Exception:
            score = None
        _extra_s += time.perf_counter() - t0
        if score is not None:
            items.append((f"autolog/{name}/training_score", score))
    journal.append_points(items, n, time.time())

    try:
        params = fit_params(est)
    except Exception:
        params = {}
    values = {f"autolog.{name}.{k}": _json_safe(v) for k, v in params.items()}
    values[f"autolog.{name}.class"] = f"{cls.__module__}.{cls.__qualname__}"
    if values != _logged_params.get(name):  # last fit wins: the index keeps the latest value of each key
        _logged_params[name] = values
        journal.add(record("params", values=values))

    if X is not None and (n == 0 or _spend_ok()):  # over budget, a later fit's inputs may go unrecorded
        t0 = time.perf_counter()
        _save_signature(exp, run.id, X, name, n)
        _extra_s += time.perf_counter() - t0

    meta: Dict[str, Any] = {"class": f"{cls.__module__}.{cls.__qualname__}", "fit": n, "fit_time_s": elapsed}
    if score is not None:
        meta["training_score"] = score
    if n == 0 or _spend_ok():
        t0 = time.perf_counter()
        _save(exp, est, name, meta)
        _extra_s += time.perf_counter() - t0
        _unsaved.pop(name, None)
    else:
        _unsaved[name] = (est, meta, params)  # saved when the run ends, unless a later fit gets saved first


def _save(exp: Any, est: Any, name: str, meta: Dict[str, Any]) -> None:
    try:
        f = exp.files("autolog").save_pkl(est, to=f"{name}.pkl", description=f"{name}, fit #{meta['fit']} (autolog)",
                                          tags=["autolog", "model"], metadata=meta)
    except Exception as e:
        _warn(f"save:{name}", f"autolog: could not save the {name} model: {e!r}")
        return
    if meta["fit"] == 0:
        _ambient.runner_log(f"autolog: {name} fit logged; the latest model is saved as files/{f['path']}")


def _save_signature(exp: Any, run_id: str, X: Any, name: str, n: int) -> None:
    """The inputs of the latest top-level fit (DataFrame columns and dtypes; numpy: f0..fn) as
    ``autolog/signature.json``, written again only when a fit's inputs differ from the last one's."""
    from ._signature import infer

    try:
        sig = infer(X, "training data")
    except Exception as e:
        _warn(f"signature:{name}", f"autolog: could not infer the signature of {name}'s training data: {e!r}")
        return
    if _signatures.get(run_id) == sig:
        return
    _signatures[run_id] = sig
    try:
        exp.files("autolog").save_json(sig, to="signature.json", tags=["autolog", "signature"],
                                       description=f"the inputs of {name} fit #{n} (autolog)")
    except Exception as e:
        _warn(f"save-signature:{name}", f"autolog: could not save the signature: {e!r}")


def _finish(exp: Any) -> None:
    """Before the run ends: save the latest model of each class whose save was deferred."""
    pending = list(_unsaved.items())
    _unsaved.clear()
    for name, (est, meta, params) in pending:
        _save(exp, _as_fitted(est, params), name, meta)


def _as_fitted(est: Any, params: Dict[str, Any]) -> Any:
    """``est`` with the params of its logged fit: a shallow copy when ``set_params`` changed them since."""
    try:
        if not params or fit_params(est) == params:
            return est
        twin = copy.copy(est)
        twin.set_params(**params)
        return twin
    except Exception:
        return est


def _warn(key: str, message: str) -> None:
    if key in _warned:
        return
    _warned.add(key)
    _ambient.runner_log(message, "warn")
    print(f"mlwb: {message}", file=sys.stderr)


_HOOKS = {"sklearn.base": _on_base, "sklearn.model_selection._validation": _on_validation}
