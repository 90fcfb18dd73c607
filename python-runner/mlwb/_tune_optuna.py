"""optuna for ``mlwb.tune`` (the backend when installed) and the runner's optuna autocapture.

Autocapture (``python -m mlwb run``, unless ``--no-autolog``): optuna is never imported here. A meta-path
hook waits for the script to import ``optuna``, then

- ``optuna.study._tell._tell_with_warning`` -- the one function every finished trial goes through, from
  ``Study.optimize`` (single- and multi-objective, pruned and failed trials, ``n_jobs`` threads) and from
  ``Study.tell`` (ask-and-tell) -- is wrapped where ``optuna.study._optimize`` and ``optuna.study.study``
  look it up: after optuna has stored the trial, the frozen trial (params, distributions, values,
  intermediate values, state, times) becomes a ``tuning.trial`` record and a ``trial`` event;
- ``Study.optimize`` is wrapped to open the session when optimizing starts, remember why an objective
  raised (the failed trial's ``error``), and write ``tuning.complete`` (best trials / Pareto front) when it
  returns;
- when the script ends, each captured study gets a last ``tuning.complete`` with optuna's parameter
  importance (fANOVA, within a time budget).

A study becomes a session the first time one of its trials finishes or ``optimize`` starts, whichever
comes first; finished trials it already had (a loaded study) are recorded then. Studies run by
``mlwb.tune`` itself are skipped (they have their own session).
"""
from __future__ import annotations

import functools
import math
import os
import sys
import threading
import time
import traceback
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from . import _ambient
from ._import_hook import PatchOnImport, replace
from ._tune_session import SessionWriter, remove_stop_flag, shared_session_id
from ._tune_space import Space, grid_values

IMPORTANCE_BUDGET_S = 5.0  # at most this long for optuna's importance when the script ends (all studies)
IMPORTANCE_MAX_TRIALS = 5000

_STATE = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "fail", "RUNNING": "running", "WAITING": "running"}


# -- distributions ---------------------------------------------------------------------------------------

def from_optuna(dist: Any) -> Dict[str, Any]:
    """An optuna distribution as the journal's {type, low, high, log?, step?} / {type, choices}."""
    import optuna.distributions as od

    if isinstance(dist, od.CategoricalDistribution):
        return {"type": "categorical", "choices": list(dist.choices)}
    if isinstance(dist, od.IntDistribution):
        d: Dict[str, Any] = {"type": "int", "low": int(dist.low), "high": int(dist.high)}
        if dist.log:
            d["log"] = True
        if dist.step not in (None, 1):
            d["step"] = int(dist.step)
        return d
    if isinstance(dist, od.FloatDistribution):
        d = {"type": "float", "low": float(dist.low), "high": float(dist.high)}
        if dist.log:
            d["log"] = True
        if dist.step is not None:
            d["step"] = float(dist.step)
        return d
    return {"type": "categorical", "choices": [repr(dist)]}  # an unknown distribution: shown, not interpreted


def _suggest(ot: Any, name: str, d: Dict[str, Any]) -> Any:
    if d["type"] == "categorical":
        return ot.suggest_categorical(name, d["choices"])
    if d["type"] == "int":
        return ot.suggest_int(name, d["low"], d["high"], step=d.get("step", 1), log=bool(d.get("log")))
    return ot.suggest_float(name, d["low"], d["high"], step=d.get("step"), log=bool(d.get("log")))


def trial_fields(ft: Any) -> Dict[str, Any]:
    """A FrozenTrial as SessionWriter.trial keyword arguments."""
    start = ft.datetime_start.timestamp() if ft.datetime_start else None
    end = ft.datetime_complete.timestamp() if ft.datetime_complete else None
    values = list(ft.values) if ft.values is not None else None  # a pruned trial: its last intermediate value (optuna's)
    return {
        "distributions": {k: from_optuna(v) for k, v in ft.distributions.items()},
        "values": values, "intermediate": dict(ft.intermediate_values), "started": start, "ended": end,
        "user_attrs": dict(ft.user_attrs) or None,
    }


def directions_of(study: Any) -> List[str]:
    return [d.name.lower() for d in study.directions]


def importance(study: Any) -> Optional[Dict[str, Any]]:
    """optuna's parameter importance (fANOVA) per objective, or None when it cannot be told."""
    import optuna

    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(complete) < 2 or len(complete) > IMPORTANCE_MAX_TRIALS or not any(t.params for t in complete):
        return None
    out = []
    for i in range(len(study.directions)):
        try:
            target = None if len(study.directions) == 1 else (lambda t, i=i: t.values[i])
            values = optuna.importance.get_param_importances(study, target=target)
            out.append({k: float(v) for k, v in values.items() if math.isfinite(float(v))})
        except Exception:
            return None
    return {"method": "optuna-fanova", "values": out}


# -- mlwb.tune with optuna -------------------------------------------------------------------------------

_managed: Set[int] = set()  # id() of the studies mlwb.tune runs: autocapture leaves them alone


def _sampler(optuna: Any, kind: str, space: Space, n_obj: int, seed: Optional[int]) -> Tuple[Any, str, Optional[str]]:
    """(sampler, name, requested-if-different)."""
    s = optuna.samplers
    if kind == "auto":
        kind = "tpe" if n_obj == 1 else "nsga2"
    if kind == "grid":
        return s.GridSampler({n: grid_values(n, d) for n, d in space.items()}, seed=seed), "grid", None
    if kind == "random":
        return s.RandomSampler(seed=seed), "random", None
    if kind == "nsga2":
        return s.NSGAIISampler(seed=seed), "nsga2", None
    if kind == "cmaes":
        try:
            import cmaes  # noqa: F401  (optuna's CmaEsSampler needs it)
            if n_obj > 1:
                raise ImportError("CMA-ES is single-objective")
            return s.CmaEsSampler(seed=seed), "cmaes", None
        except ImportError as e:
            print(f"mlwb.tune: CMA-ES unavailable ({e}): using TPE", file=sys.stderr)
            return s.TPESampler(seed=seed), "tpe", "cmaes"
    return s.TPESampler(seed=seed), "tpe", None


def _pruner(optuna: Any, spec: Dict[str, Any]) -> Any:
    p = optuna.pruners
    kind = spec.get("type")
    opts = {k: spec[k] for k in ("n_startup_trials", "n_warmup_steps") if k in spec}
    if kind == "none":
        return p.NopPruner()
    if kind == "percentile":
        return p.PercentilePruner(spec.get("percentile", 25.0), **opts)
    if kind == "halving":
        return p.SuccessiveHalvingPruner()
    if kind == "hyperband":
        return p.HyperbandPruner()
    return p.MedianPruner(**opts)


def run_with_optuna(objective: Callable[[Any], Any], space: Space, dirs: List[str], sampler: str, n_trials: Optional[int],
                    timeout: Optional[float], n_jobs: int, pruner_spec: Dict[str, Any], name: str, seed: Optional[int],
                    metric_names: Optional[Sequence[str]], experiment: Any, catch: bool, cfg: Dict[str, Any],
                    storage: Optional[str] = None) -> Any:
    import optuna

    from . import tune

    if storage is not None and seed is not None:
        seed = worker_seed(seed)
    smp, kind, requested = _sampler(optuna, sampler, space, len(dirs), seed)
    if kind == "grid":
        total = 1
        for n, d in space.items():
            total *= len(grid_values(n, d))
        n_trials = total if n_trials is None else min(n_trials, total)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own lines (and the session) say it all
    try:
        study = optuna.create_study(directions=dirs, sampler=smp, pruner=_pruner(optuna, pruner_spec), study_name=name,
                                    storage=None if storage is None else open_storage(optuna, storage),
                                    load_if_exists=storage is not None)
    except BaseException:
        optuna.logging.set_verbosity(verbosity)
        raise
    _managed.add(id(study))
    writer = SessionWriter(study_name=name, directions=dirs, sampler=kind, source="mlwb", space=space or None, config=cfg,
                           requested_sampler=requested, pruner=pruner_spec["type"], backend="optuna",
                           metric_names=metric_names, experiment=experiment, expected=n_trials,
                           session_id=None if storage is None else shared_session_id(storage, name))
    errors: Dict[int, str] = {}
    mine: Set[int] = set()  # trials this process ran: on a shared storage the others' are their workers' to record
    first_error: List[BaseException] = []

    class _OptunaTrial(tune.Trial):
        def __init__(self, ot: Any) -> None:
            super().__init__(ot.number, space)
            self._ot = ot

        def _sample(self, pname: str, d: Dict[str, Any]) -> Any:
            if kind == "grid" and pname not in space:
                raise tune.SpaceError(f"optuna's grid sampler needs every parameter in the space: {pname!r} is not "
                                      "(declare it, or use backend='builtin')")
            return _suggest(self._ot, pname, d)

        def _on_report(self, value: float, step: int) -> None:
            if len(dirs) == 1:
                self._ot.report(value, step)

        def should_prune(self) -> bool:
            return len(dirs) == 1 and self._ot.should_prune()

        def set_user_attr(self, key: str, value: Any) -> None:
            super().set_user_attr(key, value)
            self._ot.set_user_attr(key, value)

    def wrapped(ot: Any) -> Any:
        mine.add(ot.number)
        trial = _OptunaTrial(ot)
        try:
            for pname in space:
                trial._suggest(pname, space[pname])
            result = objective(trial)
            vals = tune._values(result, len(dirs))
            return vals[0] if len(dirs) == 1 else vals
        except tune.TrialPruned as e:
            raise optuna.TrialPruned(str(e)) from e
        except KeyboardInterrupt:
            errors[ot.number] = "interrupted"
            raise
        except Exception as e:
            if not tune._is_pruned(e):
                errors[ot.number] = tune._error(e)
                first_error.append(e)
            raise

    def record(ft: Any) -> None:
        if writer.recorded(ft.number) or ft.number not in mine or ft.state.name not in ("COMPLETE", "PRUNED", "FAIL"):
            return
        writer.trial(ft.number, _STATE[ft.state.name], ft.params, error=errors.get(ft.number), **trial_fields(ft))

    def callback(st: Any, ft: Any) -> None:
        record(ft)
        if tune._stop.is_set() or writer.stop_requested():
            st.stop()

    def sweep() -> None:
        for ft in study.get_trials(deepcopy=False):
            record(ft)

    status = "completed"
    try:
        study.optimize(wrapped, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs, callbacks=[callback],
                       catch=(Exception,) if catch else (), gc_after_trial=False)
    except KeyboardInterrupt:
        sweep()
        writer.complete("stopped")
        writer.close("cancelled")
        raise
    except Exception as e:  # catch=False: the first error ends it
        sweep()
        writer.complete("failed", error=tune._error(e))
        writer.close(f"tuning failed: {tune._error(e)}")
        raise
    finally:
        optuna.logging.set_verbosity(verbosity)
    sweep()
    if tune._stop.is_set() or writer.stop_requested():
        status = "stopped"
    # On a shared storage the session's best is the study's (every worker's trials), not this worker's;
    # read before the trials, so the best trial (complete by then) is complete in them too.
    best = None if storage is None else _best(study)
    trials = []
    for ft in study.get_trials(deepcopy=False):
        vals = list(ft.values) if ft.values is not None and ft.state.name == "COMPLETE" else None
        trials.append(tune.TrialResult(ft.number, _STATE.get(ft.state.name, "fail"), dict(ft.params), vals,
                                       dict(ft.intermediate_values),
                                       ft.duration.total_seconds() if ft.duration is not None else None, errors.get(ft.number)))
    first = next((t.error for t in trials if t.state == "fail"), None)
    if trials and all(t.state == "fail" for t in trials):
        status = "failed"
    imp = None
    if status != "failed":
        try:
            imp = importance(study)
        except Exception:
            imp = None
    writer.complete(status, importance=imp, error=first if status == "failed" else None, best=best)
    writer.close("completed" if status != "failed" else f"tuning failed: {first}")
    remove_stop_flag(writer.run_dir)
    result = tune._result(writer, dirs, kind, "optuna", status, trials, study, best)
    if status == "failed":
        raise first_error[0] if first_error else RuntimeError(f"every trial failed: {first}")
    return result


def open_storage(optuna: Any, storage: str) -> Any:
    """A database URL as is; a path: a JournalStorage on that file (the file lock works on NFS too)."""
    if "://" in storage:
        return storage
    journal = getattr(optuna.storages, "journal", None)
    backend = getattr(journal, "JournalFileBackend", None) or optuna.storages.JournalFileStorage
    with warnings.catch_warnings():  # "JournalStorage is experimental" (optuna 3.1): not the user's concern
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.JournalStorage(backend(os.path.abspath(storage)))


def worker_seed(seed: int) -> int:
    """Workers sharing a study must not sample the same sequence: offset the seed by the Slurm array task
    (reproducible per task), else by the process id."""
    task = os.environ.get("SLURM_ARRAY_TASK_ID", "")
    return seed + (int(task) if task.isdigit() else os.getpid())


# -- autocapture -----------------------------------------------------------------------------------------

_enabled = False
_lock = threading.RLock()
_sessions: Dict[Tuple[Any, int], SessionWriter] = {}
_studies: Dict[Tuple[Any, int], Any] = {}  # the Study objects, for importance at the end
_pending_complete: Set[Tuple[Any, int]] = set()  # sessions with trials since their last tuning.complete
_errors: Dict[Tuple[Any, int, int], str] = {}
_local = threading.local()
_warned: Set[str] = set()


def _backend(storage: Any) -> Any:
    """The storage under optuna's cache wrapper (``_CachedStorage`` around an ``RDBStorage``)."""
    return getattr(storage, "_backend", storage) if type(storage).__name__ == "_CachedStorage" else storage


def _key(study: Any) -> Tuple[Any, int]:
    """One session per study: the same database or journal file (a loaded study) is the same study."""
    storage = _backend(study._storage)
    where: Any = getattr(storage, "url", None)
    if where is None and type(storage).__name__ == "JournalStorage":
        where = getattr(getattr(storage, "_backend", None), "_file_path", None)
    return (where if isinstance(where, str) else id(storage), int(study._study_id))


def _session(study: Any) -> Optional[SessionWriter]:
    """The session of an optuna study (opened now if needed), or None when it is not captured."""
    if not _enabled or id(study) in _managed or _ambient.owner() is None:
        return None
    key = _key(study)
    with _lock:
        writer = _sessions.get(key)
        if writer is not None:
            return writer
        config: Dict[str, Any] = {"storage": type(_backend(study._storage)).__name__}
        writer = SessionWriter(study_name=study.study_name, directions=directions_of(study),
                               sampler=type(study.sampler).__name__, source="optuna",
                               pruner=type(study.pruner).__name__, backend="optuna",
                               metric_names=None, config=config)
        _sessions[key] = writer
        _studies[key] = study
        _ambient.runner_log(f"optuna: study {study.study_name!r} is streamed as tuning session {writer.id}")
        for ft in study.get_trials(deepcopy=False):  # a loaded study: what it already had
            if ft.state.name in ("COMPLETE", "PRUNED", "FAIL"):
                _record(study, writer, ft)
        return writer


def _record(study: Any, writer: SessionWriter, ft: Any) -> None:
    if writer.recorded(ft.number) or ft.state.name not in ("COMPLETE", "PRUNED", "FAIL"):
        return
    err = _errors.pop((*_key(study), ft.number), None)
    writer.trial(ft.number, _STATE[ft.state.name], ft.params, error=err, **trial_fields(ft))
    _pending_complete.add(_key(study))


def _wrap_tell(original: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(original, "_mlwb_capture", False):
        return original

    @functools.wraps(original)
    def _tell_with_warning(study: Any, *args: Any, **kwargs: Any) -> Any:
        frozen = original(study, *args, **kwargs)
        if _enabled:
            try:
                writer = _session(study)
                if writer is not None:
                    _record(study, writer, frozen)
            except Exception as e:
                _warn("tell", f"optuna autocapture: could not record a trial: {e!r}")
        return frozen

    _tell_with_warning._mlwb_capture = True  # type: ignore[attr-defined]
    return _tell_with_warning


def _wrap_optimize(original: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(original, "_mlwb_capture", False):
        return original

    @functools.wraps(original)
    def optimize(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        if not _enabled or id(self) in _managed:
            return original(self, func, *args, **kwargs)
        try:
            writer = _session(self)
        except Exception as e:
            _warn("open", f"optuna autocapture: could not open a session: {e!r}")
            writer = None
        if writer is None:
            return original(self, func, *args, **kwargs)
        key = _key(self)

        @functools.wraps(func)
        def objective(trial: Any) -> Any:
            try:
                return func(trial)
            except BaseException as e:
                import optuna

                if not isinstance(e, optuna.TrialPruned):
                    _errors[(*key, trial.number)] = "interrupted" if isinstance(e, KeyboardInterrupt) else _short(e)
                raise

        status = "completed"
        try:
            return original(self, objective, *args, **kwargs)
        except KeyboardInterrupt:
            status = "stopped"
            raise
        except BaseException:
            status = "failed"
            raise
        finally:
            try:
                for ft in self.get_trials(deepcopy=False):
                    _record(self, writer, ft)
                writer.complete(status, best=_best(self))
                _pending_complete.discard(key)
            except Exception as e:
                _warn("complete", f"optuna autocapture: could not end the session: {e!r}")

    optimize._mlwb_capture = True  # type: ignore[attr-defined]
    return optimize


def _short(e: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(e), e)).strip()


def _best(study: Any) -> Optional[List[int]]:
    try:
        if len(study.directions) > 1:
            return sorted(t.number for t in study.best_trials)
        return [study.best_trial.number]
    except Exception:
        return []


def _finish(exp: Any) -> None:
    """When the script ends: a last tuning.complete per captured study, with optuna's importance."""
    deadline = time.monotonic() + IMPORTANCE_BUDGET_S
    with _lock:
        items = list(_sessions.items())
    for key, writer in items:
        study = _studies.get(key)
        imp = None
        if study is not None and time.monotonic() < deadline:
            try:
                imp = importance(study)
            except Exception:
                imp = None
        if imp is None and key not in _pending_complete:
            continue
        try:
            writer.complete("completed", importance=imp, best=_best(study) if study is not None else None)
        except Exception as e:
            _warn("finish", f"optuna autocapture: could not end a session: {e!r}")
        remove_stop_flag(writer.run_dir)
    _pending_complete.clear()


def _patch(optuna: Any) -> None:
    import optuna.study._optimize as opt_mod
    import optuna.study.study as study_mod

    opt_mod._tell_with_warning = _wrap_tell(opt_mod._tell_with_warning)
    study_mod._tell_with_warning = _wrap_tell(study_mod._tell_with_warning)
    study_mod.Study.optimize = _wrap_optimize(study_mod.Study.optimize)


_hook: Optional[PatchOnImport] = None


def install() -> None:
    """Capture optuna studies from now on: patch optuna now if imported, else when the script imports it."""
    global _enabled, _hook
    _enabled = True
    _ambient.add_finisher(_finish)
    _hook = replace(_hook, PatchOnImport({"optuna": _patch}, lambda name, e: _warn("install", f"optuna autocapture: could not patch {name}: {e!r}")))


def uninstall() -> None:
    """Stop capturing (patched functions stay but pass straight through)."""
    global _enabled
    _enabled = False
    if _hook is not None:
        _hook.remove()


def _warn(key: str, message: str) -> None:
    if key in _warned:
        return
    _warned.add(key)
    _ambient.runner_log(message, "warn")
    print(f"mlwb: {message}", file=sys.stderr)
