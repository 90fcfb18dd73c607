"""Hyperparameter tuning: ``mlwb.tune.run(objective, ...)``, streamed live into a tuning session.

Backed by optuna when it is importable (TPE, random, grid, CMA-ES, NSGA-II samplers; optuna's pruners),
otherwise by our own random and grid samplers and median pruner (standard library only). Either way the
objective gets the same suggest-style trial::

    from mlwb import tune

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        depth = trial.suggest_int("depth", 2, 12)
        crit = trial.suggest_categorical("criterion", ["gini", "entropy"])
        for epoch in range(10):
            score = train_one_epoch(...)
            trial.report(score, epoch)          # intermediate value
            if trial.should_prune():
                raise tune.TrialPruned()
        return score

    result = tune.run(objective, n_trials=30, direction="maximize", sampler="tpe", n_jobs=2)
    result.best_params, result.best_value

The space may also be declared up front (``space={"lr": {"type": "float", "low": 1e-4, "high": 0.1,
"log": True}, ...}``, the JSON spec's format): every parameter is then suggested before the objective
runs (``trial.params`` has them all) and a declared parameter overrides the bounds the objective asks.

Every finished trial (complete, pruned or failed) is written to the run's journal and sent to VS Code as
it finishes; the session records its sampler, space and best trials. The records go to the run of
``experiment=``, else the run of the script under ``python -m mlwb run``, else the one open Experiment,
else a run of its own (named after the study).

Stopping: ``tune.stop()`` or the stop flag file ``<run dir>/tuning.stop`` lets running trials finish and
starts no new one (the session ends "stopped" and ``run`` returns normally). A cancel from VS Code
(``run/cancel``, i.e. Ctrl+C) stops at once: the interrupted trial is recorded as failed, the session
ends "stopped", and the ``KeyboardInterrupt`` goes on (the run ends cancelled).
"""
from __future__ import annotations

import math
import sys
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from ._tune_session import SessionWriter, remove_stop_flag
from ._tune_space import (GridSampler, MedianPruner, RandomSampler, Space, SpaceError, builtin_pruner, grid_size,
                          parse_distribution, parse_pruner, parse_space)

__all__ = ["Trial", "TrialPruned", "TrialResult", "TuneResult", "SpaceError", "run", "objective", "stop", "optuna_available"]

SAMPLERS = ("auto", "tpe", "random", "grid", "cmaes", "nsga2")
DEFAULT_TRIALS = 20


class TrialPruned(Exception):
    """Raise from the objective to end the trial as pruned (``optuna.TrialPruned`` works too)."""


@dataclass
class TrialResult:
    number: int
    state: str  # complete | pruned | fail
    params: Dict[str, Any]
    values: Optional[List[float]]
    intermediate: Dict[int, float] = field(default_factory=dict)
    duration_s: Optional[float] = None
    error: Optional[str] = None

    @property
    def value(self) -> Optional[float]:
        return None if self.values is None or len(self.values) != 1 else self.values[0]


@dataclass
class TuneResult:
    session: str
    run: Optional[str]
    study_name: str
    directions: List[str]
    sampler: str
    backend: str
    status: str  # completed | stopped | failed
    trials: List[TrialResult]
    best_trials: List[TrialResult]
    study: Any = None  # the optuna Study when optuna ran it

    @property
    def best_trial(self) -> Optional[TrialResult]:
        if len(self.directions) != 1:
            raise ValueError("a multi-objective study has best_trials (the Pareto front), not one best_trial")
        return self.best_trials[0] if self.best_trials else None

    @property
    def best_params(self) -> Optional[Dict[str, Any]]:
        b = self.best_trial
        return None if b is None else b.params

    @property
    def best_value(self) -> Optional[float]:
        b = self.best_trial
        return None if b is None else b.value


_stop = threading.Event()
_registered: List[Callable[..., Any]] = []


def stop() -> None:
    """Ask every running ``tune.run`` of this process to start no new trial (running ones finish)."""
    _stop.set()


def objective(fn: Optional[Callable[..., Any]] = None, **defaults: Any) -> Any:
    """Mark a function as the script's objective, for ``python -m mlwb tune --script``; options given here
    (``direction=``, ``space=``, ``n_trials=``...) are defaults the spec file overrides.

        @tune.objective(direction="maximize")
        def objective(trial): ...
    """
    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        f._mlwb_tune = dict(defaults)  # type: ignore[attr-defined]
        _registered.append(f)
        return f

    return mark(fn) if fn is not None else mark


def optuna_available() -> bool:
    try:
        import optuna  # noqa: F401
    except Exception:
        return False
    return True


# -- the trial the objective gets ----------------------------------------------------------------------

class Trial:
    """What the objective receives: suggest parameters, report intermediate values, ask whether to prune."""

    def __init__(self, number: int, space: Space) -> None:
        self.number = number
        self.params: Dict[str, Any] = {}
        self.distributions: Dict[str, Dict[str, Any]] = {}
        self.intermediate_values: Dict[int, float] = {}
        self.user_attrs: Dict[str, Any] = {}
        self._space = space

    # The backends implement these two.
    def _sample(self, name: str, dist: Dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _on_report(self, value: float, step: int) -> None:
        pass

    def _suggest(self, name: str, dist: Dict[str, Any]) -> Any:
        if name in self.params:
            return self.params[name]
        d = self._space.get(name) or parse_distribution(name, dist)
        value = self._sample(name, d)
        self.params[name] = value
        self.distributions[name] = d
        return value

    def suggest_float(self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False) -> float:
        d: Dict[str, Any] = {"type": "float", "low": low, "high": high, "log": log}
        if step is not None:
            d["step"] = step
        return self._suggest(name, d)

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return self._suggest(name, {"type": "int", "low": low, "high": high, "step": step, "log": log})

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._suggest(name, {"type": "categorical", "choices": list(choices)})

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        return self.suggest_float(name, low, high, log=True)

    def report(self, value: float, step: int) -> None:
        """An intermediate value (e.g. the validation score after epoch ``step``)."""
        v = float(value)
        step = int(step)
        if step in self.intermediate_values:
            return  # as optuna: the first report of a step stays
        self.intermediate_values[step] = v
        self._on_report(v, step)

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params!r})"


class _BuiltinTrial(Trial):
    def __init__(self, number: int, space: Space, study: "_BuiltinStudy") -> None:
        super().__init__(number, space)
        self._study = study

    def _sample(self, name: str, dist: Dict[str, Any]) -> Any:
        return self._study.sampler.sample(self.number, name, dist)

    def should_prune(self) -> bool:
        return self._study.should_prune(self)


# -- arguments ----------------------------------------------------------------------------------------

def _directions(direction: Optional[str], directions: Optional[Sequence[str]]) -> List[str]:
    if direction is not None and directions is not None:
        raise ValueError("give direction= or directions=, not both")
    ds = list(directions) if directions is not None else [direction or "minimize"]
    if not ds or any(d not in ("minimize", "maximize") for d in ds):
        raise ValueError(f"directions must be 'minimize' or 'maximize', got {ds!r}")
    return ds


def _values(result: Any, n: int) -> List[float]:
    if n == 1 and not isinstance(result, (list, tuple)):
        vals = [result]
    else:
        vals = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(vals) != n:
        raise ValueError(f"the objective returned {len(vals)} value(s) for {n} objective(s)")
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
            raise TypeError(f"the objective must return numbers, got {v!r}")
        f = float(v)
        if math.isnan(f):
            raise ValueError("the objective returned NaN")
        out.append(f)
    return out


def _error(e: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(e), e)).strip()


def _is_pruned(e: BaseException) -> bool:
    if isinstance(e, TrialPruned):
        return True
    optuna = sys.modules.get("optuna")
    pruned = getattr(getattr(optuna, "exceptions", None), "TrialPruned", None)
    return pruned is not None and isinstance(e, pruned)


# -- the entry point ----------------------------------------------------------------------------------

def run(objective: Callable[[Trial], Any], *, space: Optional[Dict[str, Any]] = None, n_trials: Optional[int] = None,
        timeout: Optional[float] = None, sampler: str = "auto", direction: Optional[str] = None,
        directions: Optional[Sequence[str]] = None, n_jobs: int = 1, pruner: Any = "median",
        study_name: Optional[str] = None, seed: Optional[int] = None, metric_names: Optional[Sequence[str]] = None,
        backend: str = "auto", experiment: Any = None, catch: bool = True,
        config: Optional[Dict[str, Any]] = None, storage: Optional[str] = None) -> TuneResult:
    """Tune ``objective(trial)``; returns the trials and the best one(s).

    - ``sampler``: ``"auto"`` (TPE, NSGA-II for several objectives; random without optuna), ``"tpe"``,
      ``"random"``, ``"grid"`` (every combination; float ranges need a ``step``), ``"cmaes"``, ``"nsga2"``.
      Without optuna, ``tpe``/``cmaes``/``nsga2`` fall back to our random sampler (the session says so).
    - ``n_trials`` / ``timeout`` (seconds): stop after either; neither means 20 trials (grid: the whole grid).
    - ``direction`` (``"minimize"``/``"maximize"``) or ``directions=[...]`` for several objectives (the
      objective then returns one value per objective).
    - ``n_jobs``: trials run on that many threads.
    - ``pruner``: ``"median"`` (default), ``"percentile"``, ``"halving"``, ``"hyperband"`` (optuna only) or
      ``"none"``, or ``{"type": "median", "n_startup_trials": 5, "n_warmup_steps": 0}``.
    - ``backend``: ``"auto"`` (optuna when importable), ``"optuna"`` or ``"builtin"``.
    - ``catch``: a trial that raises is recorded as failed and tuning goes on (if every trial fails the
      session fails and ``run`` raises); ``catch=False`` re-raises the first error.
    - ``storage``: an Optuna storage shared by several worker processes (optuna only): a journal file path
      (``JournalFileStorage``, fine on a shared filesystem) or a database URL. The study is loaded if it
      exists; ``n_trials`` counts this process's trials; every worker's trials form one session.
    """
    dirs = _directions(direction, directions)
    declared = parse_space(space)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if n_jobs < 1:
        raise ValueError("n_jobs must be >= 1")
    pruner_spec = parse_pruner(pruner)
    if backend not in ("auto", "optuna", "builtin"):
        raise ValueError("backend must be 'auto', 'optuna' or 'builtin'")
    use_optuna = backend == "optuna" or (backend == "auto" and optuna_available())
    if backend == "optuna" and not optuna_available():
        raise ImportError("backend='optuna' but optuna is not installed (pip install optuna)")
    if storage is not None and not use_optuna:
        raise ImportError("a shared storage needs optuna (pip install optuna, or apt install python3-optuna)")
    if sampler == "grid" and not declared and use_optuna and backend == "auto":
        use_optuna = False  # optuna's grid needs the space up front; ours discovers it
    if n_trials is None and timeout is None and sampler != "grid":
        n_trials = DEFAULT_TRIALS
    name = study_name or getattr(objective, "__name__", None) or "study"
    if name == "<lambda>":
        name = "study"
    cfg: Dict[str, Any] = {"n_trials": n_trials, "timeout": timeout, "n_jobs": n_jobs, "seed": seed,
                           "pruner": pruner_spec, "storage": storage, **(config or {})}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    _stop.clear()
    if use_optuna:
        from . import _tune_optuna

        return _tune_optuna.run_with_optuna(objective, declared, dirs, sampler, n_trials, timeout, n_jobs, pruner_spec,
                                            name, seed, metric_names, experiment, catch, cfg, storage)
    return _run_builtin(objective, declared, dirs, sampler, n_trials, timeout, n_jobs, pruner_spec, name, seed,
                        metric_names, experiment, catch, cfg)


class _BuiltinStudy:
    def __init__(self, sampler: Any, pruner: Optional[MedianPruner]) -> None:
        self.sampler = sampler
        self.pruner = pruner
        self.lock = threading.Lock()
        self.completed_intermediate: List[Dict[int, float]] = []

    def should_prune(self, trial: Trial) -> bool:
        if self.pruner is None:
            return False
        with self.lock:
            completed = list(self.completed_intermediate)
        return self.pruner.should_prune(trial.intermediate_values, completed)


def _run_builtin(objective: Callable[[Trial], Any], space: Space, dirs: List[str], sampler: str, n_trials: Optional[int],
                 timeout: Optional[float], n_jobs: int, pruner_spec: Dict[str, Any], name: str, seed: Optional[int],
                 metric_names: Optional[Sequence[str]], experiment: Any, catch: bool, cfg: Dict[str, Any]) -> TuneResult:
    kind = "grid" if sampler == "grid" else "random"
    requested = sampler if sampler not in ("auto", kind) else None
    smp: Any = GridSampler(space, seed) if kind == "grid" else RandomSampler(seed)
    if kind == "grid" and space:
        total = grid_size(space)
        n_trials = total if n_trials is None else min(n_trials, total)
    pr = builtin_pruner(pruner_spec, dirs[0]) if len(dirs) == 1 else None
    if pruner_spec["type"] in ("halving", "hyperband"):
        requested_pruner = pruner_spec["type"]
        pr = MedianPruner(dirs[0]) if len(dirs) == 1 else None
    else:
        requested_pruner = None
    study = _BuiltinStudy(smp, pr)
    writer = SessionWriter(study_name=name, directions=dirs, sampler=kind, source="mlwb", space=space or None,
                           config={**cfg, **({"requested_pruner": requested_pruner} if requested_pruner else {})},
                           requested_sampler=requested, pruner="median" if pr else "none", backend="builtin",
                           metric_names=metric_names, experiment=experiment, expected=n_trials)
    if requested:
        msg = f"mlwb.tune: optuna is not installed: using the built-in random sampler instead of {requested!r}"
        print(msg, file=sys.stderr)
    deadline = None if timeout is None else time.monotonic() + timeout
    results: Dict[int, TrialResult] = {}
    errors: List[BaseException] = []
    counter = [0]
    lock = threading.Lock()

    def next_number() -> Optional[int]:
        with lock:
            n = counter[0]
            if n_trials is not None and n >= n_trials:
                return None
            if smp.exhausted(n):
                return None
            counter[0] = n + 1
            return n

    def one(number: int) -> TrialResult:
        trial = _BuiltinTrial(number, space, study)
        started = time.time()
        state, vals, err = "complete", None, None
        try:
            for pname in space:  # a declared space: every parameter up front
                trial._suggest(pname, space[pname])
            vals = _values(objective(trial), len(dirs))
        except KeyboardInterrupt:
            writer.trial(number, "fail", trial.params, distributions=trial.distributions,
                         intermediate=trial.intermediate_values, started=started, ended=time.time(), error="interrupted")
            raise
        except Exception as e:  # recorded; re-raised at the end when catch=False or every trial failed
            if _is_pruned(e):
                state = "pruned"
            else:
                state, err = "fail", _error(e)
                errors.append(e)
        ended = time.time()
        if state == "pruned" and len(dirs) == 1 and trial.intermediate_values:
            vals = [trial.intermediate_values[max(trial.intermediate_values)]]  # as optuna: the last intermediate value
        if state == "complete" and pr is not None:
            with study.lock:
                study.completed_intermediate.append(dict(trial.intermediate_values))
        writer.trial(number, state, trial.params, distributions=trial.distributions, values=vals,
                     intermediate=trial.intermediate_values, started=started, ended=ended,
                     user_attrs=trial.user_attrs, error=err)
        res = TrialResult(number, state, dict(trial.params), vals, dict(trial.intermediate_values), ended - started, err)
        results[number] = res
        return res

    def should_go_on() -> bool:
        if _stop.is_set() or writer.stop_requested():
            return False
        if deadline is not None and time.monotonic() >= deadline:
            return False
        if not catch and any(r.state == "fail" for r in results.values()):
            return False
        return True

    status = "completed"
    try:
        if kind == "grid" and not space:
            n0 = next_number()  # discovery: trial 0 alone fixes the grid's dimensions
            if n0 is not None:
                one(n0)
                smp.freeze()
        if n_jobs == 1:
            while should_go_on():
                n = next_number()
                if n is None:
                    break
                one(n)
        else:
            with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="mlwb-tune") as pool:
                running = set()
                while True:
                    while len(running) < n_jobs and should_go_on():
                        n = next_number()
                        if n is None:
                            break
                        running.add(pool.submit(one, n))
                    if not running:
                        break
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for f in done:
                        f.result()
        if _stop.is_set() or writer.stop_requested():
            status = "stopped"
    except KeyboardInterrupt:
        writer.complete("stopped")
        writer.close("cancelled")
        raise
    trials = [results[n] for n in sorted(results)]
    failed_all = bool(trials) and all(t.state == "fail" for t in trials)
    first_error = next((t.error for t in trials if t.state == "fail"), None)
    if failed_all or (not catch and first_error):
        status = "failed"
    writer.complete(status, error=first_error if status == "failed" else None)
    writer.close("completed" if status != "failed" else f"tuning failed: {first_error}")
    remove_stop_flag(writer.run_dir)
    result = _result(writer, dirs, kind, "builtin", status, trials)
    if status == "failed":
        raise errors[0] if errors else RuntimeError(f"every trial failed: {first_error}")
    return result


def _result(writer: SessionWriter, dirs: List[str], sampler: str, backend: str, status: str, trials: List[TrialResult],
            study: Any = None, best_numbers: Optional[List[int]] = None) -> TuneResult:
    by = {t.number: t for t in trials}
    best = [by[n] for n in (writer.best() if best_numbers is None else best_numbers) if n in by]
    return TuneResult(writer.id, writer.run_id, writer.study_name, dirs, sampler, backend, status, trials, best, study)


