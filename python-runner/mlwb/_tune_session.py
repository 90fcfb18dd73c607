"""A tuning session written into a run's journal, and streamed live to VS Code.

Each finished trial is one ``tuning.trial`` record (flushed at once, so the extension ingests it
within the flush notification) plus a ``run/event`` ``{kind: "trial", ...}``; the end is a
``tuning.complete`` record plus ``{kind: "tuningComplete", ...}``. See ``_records.py``.
"""
from __future__ import annotations

import hashlib
import math
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from . import _ambient
from ._encode import sanitize
from ._journal import JournalClosed
from ._records import record

STOP_FILE = "tuning.stop"
echo = False  # print a line per finished trial (python -m mlwb tune)


def new_session_id() -> str:
    return f"tune-{uuid.uuid4().hex[:12]}"


def shared_session_id(storage: str, study_name: str) -> str:
    """The same id in every worker process of one study on a shared storage: all their trials are ONE session
    (each worker writes the session record into its own run; the index takes them as one)."""
    where = storage if "://" in storage else os.path.abspath(storage)
    return "tune-" + hashlib.sha256(f"{where}\0{study_name}".encode("utf-8")).hexdigest()[:12]


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def best_numbers(trials: Sequence[Dict[str, Any]], directions: Sequence[str]) -> List[int]:
    """Single objective: the first trial with the best value; several: the Pareto front (as optuna)."""
    n = len(directions)
    done = [t for t in trials if t["state"] == "complete" and t.get("values") is not None and len(t["values"]) == n
            and all(v == v for v in t["values"])]
    done.sort(key=lambda t: t["number"])

    def better(a: float, b: float, d: str) -> bool:
        return a > b if d == "maximize" else a < b

    if n == 1:
        best = None
        for t in done:
            if best is None or better(t["values"][0], best["values"][0], directions[0]):
                best = t
        return [] if best is None else [best["number"]]

    def dominates(a: List[float], b: List[float]) -> bool:
        strictly = False
        for i, d in enumerate(directions):
            if better(b[i], a[i], d):
                return False
            if better(a[i], b[i], d):
                strictly = True
        return strictly

    return [t["number"] for t in done if not any(o is not t and dominates(o["values"], t["values"]) for o in done)]


class SessionWriter:
    """Writes one session into a run (the one given, else the runner's, else a run of its own)."""

    def __init__(self, *, study_name: str, directions: Sequence[str], sampler: str, source: str,
                 space: Optional[Dict[str, Any]] = None, config: Optional[Dict[str, Any]] = None,
                 requested_sampler: Optional[str] = None, pruner: Optional[str] = None, backend: Optional[str] = None,
                 metric_names: Optional[Sequence[str]] = None, experiment: Any = None, expected: Optional[int] = None,
                 session_id: Optional[str] = None) -> None:
        self.id = session_id or new_session_id()
        self.study_name = study_name
        self.directions = list(directions)
        self.expected = expected
        self._lock = threading.Lock()
        self._trials: Dict[int, Dict[str, Any]] = {}
        self._started = time.time()
        self._t0 = time.monotonic()
        self._own = None  # an Experiment this session started (and must end)
        self.exp = self._target(experiment, study_name)
        fields: Dict[str, Any] = {"id": self.id, "study_name": study_name, "directions": self.directions,
                                  "sampler": sampler, "source": source}
        for key, value in (("space", space), ("config", config), ("requested_sampler", requested_sampler),
                           ("pruner", pruner), ("backend", backend), ("metric_names", list(metric_names) if metric_names else None)):
            if value is not None:
                fields[key] = value
        self._write(record("tuning.session", **fields))

    # -- where the records go --------------------------------------------------------------------

    def _target(self, experiment: Any, study_name: str) -> Any:
        if experiment is not None:
            if experiment._run is None:
                experiment.start()
            return experiment
        holder = _ambient.owner()
        if holder is not None:
            return holder
        from ._lifecycle import _open  # the most recent open Experiment of this process, if any

        live = [e for e in list(_open) if e._run is not None]
        if len(live) == 1:
            return live[0]
        from ._experiment import Experiment

        self._own = Experiment(study_name).start()
        return self._own

    @property
    def run_id(self) -> Optional[str]:
        return self.exp.id

    @property
    def run_dir(self) -> Optional[Path]:
        return self.exp.run_dir

    def _write(self, rec: Dict[str, Any]) -> None:
        run = self.exp._run
        if run is None:
            return
        try:
            run.journal.add(rec)
            run.journal.flush()
        except JournalClosed:
            pass

    # -- stopping ----------------------------------------------------------------------------------

    def stop_requested(self) -> bool:
        """The stop flag: ``<run dir>/tuning.stop`` (empty, or naming this session's id or study)."""
        d = self.run_dir
        if d is None:
            return False
        path = d / STOP_FILE
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            return False
        return text == "" or self.id in text.split() or self.study_name in text.splitlines()

    # -- trials --------------------------------------------------------------------------------

    def trial(self, number: int, state: str, params: Dict[str, Any], *, distributions: Optional[Dict[str, Any]] = None,
              values: Optional[Sequence[float]] = None, intermediate: Optional[Dict[int, float]] = None,
              started: Optional[float] = None, ended: Optional[float] = None, user_attrs: Optional[Dict[str, Any]] = None,
              error: Optional[str] = None) -> None:
        vals = None if values is None else [float(v) for v in values]
        t: Dict[str, Any] = {"session": self.id, "number": int(number), "state": state, "params": sanitize(dict(params))}
        if distributions:
            t["distributions"] = distributions
        t["values"] = vals
        if intermediate:
            t["intermediate"] = {str(int(k)): float(v) for k, v in sorted(intermediate.items())}
        if started is not None:
            t["started"] = started
        if ended is not None:
            t["ended"] = ended
        if started is not None and ended is not None:
            t["duration_ms"] = round((ended - started) * 1000, 3)
        if self.run_id is not None:
            t["run"] = self.run_id
        if user_attrs:
            t["user_attrs"] = sanitize(dict(user_attrs))
        if error:
            t["error"] = error[:2000]
        with self._lock:
            self._trials[int(number)] = t
            done = sum(1 for x in self._trials.values() if x["state"] != "running")
            best = best_numbers(list(self._trials.values()), self.directions)
        self._write(record("tuning.trial", **sanitize(t)))
        value: Any = None if vals is None else (vals[0] if len(vals) == 1 else vals)
        event: Dict[str, Any] = {"session": self.id, "studyName": self.study_name, "number": int(number),
                                 "params": t["params"], "value": value, "state": state}
        if "duration_ms" in t:
            event["durationMs"] = t["duration_ms"]
        if intermediate:
            event["intermediate"] = t["intermediate"]
        if state != "running":
            _ambient.send_event("trial", **sanitize(event))
            b = self._trials[best[0]]["values"] if len(best) == 1 else None
            message = f"{self.study_name}: trial {number} {state}" + (f", best {b[0]:.6g}" if b else "")
            if echo:
                shown = "" if vals is None else f" value {vals[0]:.6g}" if len(vals) == 1 else f" values {vals}"
                print(f"trial {number} {state}{shown} params {t['params']}" + (f" ({error.splitlines()[-1]})" if error else "")
                      + (f"; best {b[0]:.6g} (trial {best[0]})" if b else ""), flush=True)
            _ambient.progress(done, self.expected, message)

    def recorded(self, number: int) -> bool:
        t = self._trials.get(number)
        return t is not None and t["state"] != "running"

    def trials(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [dict(t) for _, t in sorted(self._trials.items())]

    def best(self) -> List[int]:
        with self._lock:
            return best_numbers(list(self._trials.values()), self.directions)

    def complete(self, status: str, *, importance: Optional[Dict[str, Any]] = None, error: Optional[str] = None,
                 best: Optional[List[int]] = None) -> None:
        best = self.best() if best is None else best
        trials = self.trials()
        duration = round((time.monotonic() - self._t0) * 1000, 3)
        fields: Dict[str, Any] = {"session": self.id, "status": status, "best_trials": best, "n_trials": len(trials),
                                  "duration_ms": duration}
        if importance:
            fields["importance"] = importance
        if error:
            fields["error"] = error[:2000]
        self._write(record("tuning.complete", **sanitize(fields)))
        by = {t["number"]: t for t in trials}
        bests = [by[n] for n in best if n in by]
        event: Dict[str, Any] = {"session": self.id, "studyName": self.study_name, "status": status,
                                 "totalTrials": len(trials), "durationMs": duration, "bestTrials": best}
        if len(bests) == 1:
            event["bestParams"] = bests[0]["params"]
            vals = bests[0]["values"]
            event["bestValue"] = vals[0] if len(vals) == 1 else vals
        else:  # no single best (multi-objective: bestTrials is the Pareto front), or none yet
            event["bestParams"] = {}
            event["bestValue"] = []
        _ambient.send_event("tuningComplete", **sanitize(event))

    def close(self, status: str = "completed") -> None:
        """End the run this session started for itself (if it did)."""
        if self._own is not None:
            if status == "completed":
                self._own.complete()
            elif status == "cancelled":
                self._own.cancel()
            else:
                self._own.fail(status)
            self._own = None


def remove_stop_flag(run_dir: Optional[Path]) -> None:
    if run_dir is not None:
        try:
            os.remove(run_dir / STOP_FILE)
        except OSError:
            pass
