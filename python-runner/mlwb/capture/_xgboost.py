"""XGBoost training, as it happens: ``xgb.train(..., evals=[...])`` and the scikit-learn API's ``fit(eval_set=...)``.

For a top-level training (not one a search or a cross-validation makes inside; ``xgb.train`` directly, or the
``train`` an ``XGBClassifier``/``XGBRegressor``... fit makes):

- per round, one point per eval set and metric: ``eval/<set>/<metric>`` at step = round (``eval/train/logloss``,
  ``eval/validation_0/rmse``; a set name a previous training had is ``<set>-<n>``, so curves do not overlap);
- for ``xgb.train``, the booster params ``xgboost.<param>`` and ``xgboost.num_boost_round`` (an ``XGBClassifier``'s
  are its autolog params);
- ``xgboost/best_iteration`` and ``xgboost/best_score`` (early stopping), ``xgboost/rounds``;
- the trained booster as XGBoost JSON, ``xgboost/<XGBClassifier|booster>.json`` (the latest one; a save that would
  exceed the capture budget is made when the run ends).

Our callback is added to a copy of the script's callbacks; it never stops training, and the booster returned is
the one xgboost made. xgboost is never imported here: the hook waits for the script's own import.
"""
from __future__ import annotations

import functools
import inspect
import sys
import time
from typing import Any, Callable, Dict, Optional, Tuple

from .. import _ambient, _autolog
from .._records import record
from ._budget import budget, note_once
from ._values import masked_params

_MARK = "_mlwb_capture"

_enabled = False
_depth = 0
_trainings = 0
_set_uses: Dict[str, int] = {}  # eval set name -> trainings that had it
_pending: Dict[str, Tuple[Any, Dict[str, Any]]] = {}  # file name -> (booster, metadata) whose save was deferred


def enable() -> None:
    global _enabled, _trainings
    _enabled = True
    _trainings = 0
    _set_uses.clear()
    _pending.clear()
    _ambient.add_finisher(finish)


def disable() -> None:
    global _enabled
    _enabled = False


def on_xgboost(module: Any) -> None:
    training = sys.modules.get("xgboost.training")
    original = getattr(training, "train", None)
    if original is None or getattr(original, _MARK, False):
        return
    wrapped = _wrap_train(original, module.callback.TrainingCallback, module)
    # The sklearn API calls the name it imported: every module that holds `train` gets the wrapper.
    for mod in (training, module, sys.modules.get("xgboost.sklearn")):
        if mod is not None and getattr(mod, "train", None) is original:
            mod.train = wrapped


def _top_level(xgboost: Any) -> bool:
    if _depth > 0:
        return False
    if not _autolog.nested():
        return True
    top = _autolog.top_level_estimator()  # inside a fit: only the XGBModel's own top-level fit counts
    model = getattr(getattr(xgboost, "sklearn", None), "XGBModel", None)
    return _autolog._active == 1 and top is not None and model is not None and isinstance(top, model)


def _wrap_train(fn: Any, callback_base: type, xgboost: Any) -> Any:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def train(*args: Any, **kwargs: Any) -> Any:
        global _depth, _trainings
        exp = _ambient.owner() if _enabled else None
        if exp is None or exp._run is None or not _top_level(xgboost):
            return fn(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return fn(*args, **kwargs)  # xgboost will say what is wrong
        _trainings += 1
        journal = exp._run.journal
        log = _callback(callback_base, journal)
        bound.arguments["callbacks"] = [*(bound.arguments.get("callbacks") or ()), log]
        if bound.arguments.get("evals_result") is None:
            bound.arguments["evals_result"] = {}  # filled at the end: the rounds our callback missed are in it
        history = bound.arguments["evals_result"]
        _depth += 1
        try:
            booster = fn(*bound.args, **bound.kwargs)
        finally:
            _depth -= 1
        t0 = time.perf_counter()
        try:
            log.catch_up(history, booster.num_boosted_rounds())
            _after(exp, booster, bound.arguments, _autolog.top_level_estimator())
        except Exception as e:
            note_once("xgboost", f"could not record an XGBoost training: {e!r}", "warn")
        finally:
            budget.add(time.perf_counter() - t0)
        return booster

    setattr(train, _MARK, True)
    return train


def _set_name(data: str) -> str:
    """An eval set's name in the keys: ``validation_0``, then ``validation_0-2`` in the next training that has one."""
    n = _set_uses[data] = _set_uses.get(data, 0) + 1
    return data if n == 1 else f"{data}-{n}"


def _callback(base: type, journal: Any) -> Any:
    class EvalLog(base):  # type: ignore[misc, valid-type]
        """One point per eval set and metric after each round."""

        def __init__(self) -> None:
            super().__init__()
            self.keys: Dict[Tuple[str, str], str] = {}
            self.sets: Dict[str, str] = {}
            self.logged: Dict[str, int] = {}  # key -> rounds logged

        def key(self, data: str, metric: str) -> str:
            key = self.keys.get((data, metric))
            if key is None:
                name = self.sets.get(data) or self.sets.setdefault(data, _set_name(data))
                key = self.keys[(data, metric)] = f"eval/{name}/{metric}"
            return key

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            t0 = time.perf_counter()
            try:
                items = []
                for data, metrics in evals_log.items():
                    for metric, values in metrics.items():
                        if values:
                            key = self.key(data, metric)
                            items.append((key, _number(values[-1])))
                            self.logged[key] = len(values)
                if items:
                    journal.append_points(items, epoch, time.time())
            except Exception as e:  # the run may have ended; training goes on regardless
                note_once("xgboost-round", f"could not log an XGBoost round: {e!r}", "warn")
            budget.add(time.perf_counter() - t0)
            return False

        def catch_up(self, history: Any, rounds: int) -> None:
            """Log the rounds after_iteration was not called for: xgboost keeps its callbacks in a set and stops
            asking them once one has ended training (early stopping), so ours may miss the last round."""
            t = time.time()
            for data, metrics in history.items():
                for metric, values in metrics.items():
                    key = self.key(data, metric)
                    first = rounds - len(values)  # the round of values[0] (a continued training starts later)
                    for i in range(self.logged.get(key, 0), len(values)):
                        journal.append_points([(key, _number(values[i]))], first + i, t)
                    self.logged[key] = len(values)

    return EvalLog()


def _number(v: Any) -> float:
    return float(v[0] if isinstance(v, tuple) else v)  # xgb.cv's values are (mean, std)


def _after(exp: Any, booster: Any, arguments: Dict[str, Any], estimator: Optional[Any]) -> None:
    if estimator is None:  # an XGBModel's params are its autolog params already
        params = arguments.get("params") or {}
        if not isinstance(params, dict):
            params = dict(params)  # a list of (name, value) pairs
        values = masked_params("xgboost.", {k: v for k, v in params.items() if v is not None})  # None: the default
        values["xgboost.num_boost_round"] = arguments.get("num_boost_round", 10)
        exp._run.journal.add(record("params", values=values))
    points = [("xgboost/rounds", float(booster.num_boosted_rounds()))]
    for attr in ("best_iteration", "best_score"):
        v = booster.attr(attr)
        if v is not None:
            points.append((f"xgboost/{attr}", float(v)))
    exp._run.journal.append_points(points, None, time.time())
    name = f"{type(estimator).__name__ if estimator is not None else 'booster'}.json"
    meta = {"kind": "model", "format": "xgboost-json", "training": _trainings, "rounds": booster.num_boosted_rounds()}
    if budget.ok():
        _pending.pop(name, None)
        _save(exp, booster, name, meta)
    else:
        _pending[name] = (booster, meta)
    note_once("xgboost-first", f"XGBoost trainings are logged (eval/<set>/<metric> per round; model: xgboost/{name})")


def _save(exp: Any, booster: Any, name: str, meta: Dict[str, Any]) -> None:
    # The temp file keeps the .json extension: save_model picks the format from it.
    exp.files("xgboost")._save(name, lambda tmp: booster.save_model(tmp), description="XGBoost model (JSON)",
                               tags=["xgboost", "model"], metadata=meta)


def finish(holder: Any) -> None:
    """Before the run ends: the deferred model saves."""
    pending = list(_pending.items())
    _pending.clear()
    for name, (booster, meta) in pending:
        try:
            _save(holder, booster, name, meta)
        except Exception as e:
            note_once("xgboost-save", f"could not save the XGBoost model {name}: {e!r}", "warn")


HOOKS: Dict[str, Callable[[Any], None]] = {"xgboost": on_xgboost}
