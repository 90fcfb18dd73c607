"""The journal contract, mirrored from ``src/store/records.ts`` (keep both in step).

Every journal line is one JSON object with ``v`` (schema version) and ``t`` (record type).
Non-finite floats travel as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

JOURNAL_VERSION = 1

JsonNumber = Union[float, int, Literal["NaN", "Infinity", "-Infinity"]]
# queued: submitted to a scheduler (Slurm), not started yet (the extension writes it, never the runner).
RunStatus = Literal["queued", "running", "completed", "failed", "cancelled", "crashed"]
LogLevel = Literal["debug", "info", "warn", "error", "fatal"]
FileOp = Literal["save", "update", "delete"]


class _ExperimentRefBase(TypedDict):
    id: str  # the normalised full name; the same name is the same experiment
    name: str  # last path segment


class ExperimentRef(_ExperimentRefBase, total=False):
    owner: str
    project: str
    folder: str
    readme: str
    tags: List[str]
    metadata: Dict[str, Any]


class _RunManifestBase(TypedDict):
    v: int
    id: str
    name: str
    experiment: ExperimentRef
    created: float
    argv: List[str]
    cwd: str
    host: str
    pid: int


class RunManifest(_RunManifestBase, total=False):
    """``runs/<id>/run.json``: written once when the run starts, never modified."""

    script: Dict[str, str]  # {path, sha256?}
    python: Dict[str, Any]  # {executable, version, packages?}
    git: Dict[str, Any]  # {commit, branch?, dirty, diff?}
    tags: List[str]
    metadata: Dict[str, Any]
    parent: str  # the run this one is nested in (an MLflow nested run, a TensorBoard hparams trial)


class _Base(TypedDict):
    v: int
    t: str
    ts: float


class _StatusBase(_Base):
    status: RunStatus


class StatusRecord(_StatusBase, total=False):
    error: str
    traceback: str
    exit_code: int


class HeartbeatRecord(_Base):
    pass


class ParamsRecord(_Base):
    values: Dict[str, Any]  # flattened dot keys


class SeriesColumns(TypedDict):
    step: List[float]
    value: List[JsonNumber]
    time: List[float]


class MetricsRecord(_Base):
    series: Dict[str, SeriesColumns]  # keys use "/" for prefixes ("train/loss")


class _LogBase(_Base):
    level: LogLevel
    msg: str


class LogRecord(_LogBase, total=False):
    meta: Dict[str, Any]
    stream: Literal["stdout", "stderr"]


class _FileBase(_Base):
    op: FileOp
    id: str
    path: str


class FileRecord(_FileBase, total=False):
    size: int
    sha256: str
    description: str
    tags: List[str]
    meta: Dict[str, Any]


class TagsRecord(_Base):
    """Tags the script set on its run while it runs (MLflow's key/value tags; W&B's and TensorBoard's labels have
    an empty value). A later value of a key replaces the earlier one, null removes it; the index shows each as the
    tag ``key`` or ``key=value``."""

    tags: Dict[str, Optional[str]]


class _ClaimedBase(_Base):
    experiment: ExperimentRef


class ClaimedRecord(_ClaimedBase, total=False):
    """The run was started by the runner for an unmodified script, then claimed by the first
    ``Experiment`` the script started: from here on it belongs to that experiment (run.json stays as written)."""

    name: str


class _SchedulerBase(_Base):
    scheduler: Literal["slurm"]
    job_id: str  # as squeue prints it: "1234", "1234_2" for array task 2
    state: str  # the scheduler's own name: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...


class SchedulerRecord(_SchedulerBase, total=False):
    """The run's job changed state (the extension follows the job; the runner says RUNNING when it starts)."""

    reason: str
    node: str
    output: str  # absolute path of the job's stdout/stderr file


class _ProcessBase(_Base):
    host: str
    pid: int


class ProcessRecord(_ProcessBase, total=False):
    """Where a run created ahead of its process (a scheduled job) actually runs: overrides run.json's host/pid."""

    python: Dict[str, Any]  # as RunManifest
    git: Dict[str, Any]
    script: Dict[str, str]


# -- hyperparameter tuning (mlwb.tune, `python -m mlwb tune`, optuna autocapture) ---------------------
# A session lives in a run's journal; its trials follow as they finish (the last record of a number wins).

TuningDirection = Literal["minimize", "maximize"]
TuningTrialState = Literal["running", "complete", "pruned", "fail"]
# A search-space dimension: {"type": "float"|"int", "low", "high", "log"?, "step"?} or
# {"type": "categorical", "choices": [...]} (the JSON spec's format; optuna distributions map onto it).
TuningDistribution = Dict[str, Any]


class _TuningSessionBase(_Base):
    id: str  # unique in the store
    study_name: str
    directions: List[TuningDirection]  # one per objective
    sampler: str  # 'tpe', 'random', 'grid', 'cmaes', or optuna's class name (autocapture)
    source: Literal["mlwb", "optuna"]


class TuningSessionRecord(_TuningSessionBase, total=False):
    metric_names: List[str]
    requested_sampler: str  # what was asked for, when another had to be used (no optuna)
    pruner: str
    backend: Literal["optuna", "builtin"]
    space: Dict[str, TuningDistribution]
    config: Dict[str, Any]  # n_trials, timeout, n_jobs, cv, scoring, seed, spec file...


class _TuningTrialBase(_Base):
    session: str
    number: int
    state: TuningTrialState
    params: Dict[str, Any]  # external values (categorical: the choice itself)


class TuningTrialRecord(_TuningTrialBase, total=False):
    distributions: Dict[str, TuningDistribution]
    values: Optional[List[JsonNumber]]  # one per objective; null unless complete
    intermediate: Dict[str, JsonNumber]  # step -> value
    started: float
    ended: float
    duration_ms: float
    run: str  # a run of its own, when the trial has one
    user_attrs: Dict[str, Any]
    error: str


class _TuningCompleteBase(_Base):
    session: str
    status: Literal["completed", "stopped", "failed"]
    best_trials: List[int]  # the best trial, or the Pareto front (multi-objective)


class TuningCompleteRecord(_TuningCompleteBase, total=False):
    n_trials: int
    duration_ms: float
    importance: Dict[str, Any]  # {"method": str, "values": [{param: importance}, ...] per objective}
    error: str


# -- registry/events.jsonl (written by the extension; mirrored here so both sides name the same fields) ------
# Evaluation (issue 22): a model's pinned evaluation data, a version's signature, the promotion gate's outcome.

class EvaluationDataRef(TypedDict, total=False):
    path: str  # relative to the store's parent (the workspace), '/'-separated; else absolute
    sha256: str  # required
    size: int
    target: str


class GateRecord(TypedDict, total=False):
    outcome: Literal["passed", "overridden", "blocked"]  # required
    rule: Dict[str, Any]  # required: {metric?, maxDrop, mode: "block"|"warn"}
    problems: List[str]
    metric: str
    higherIsBetter: bool
    challenger: float
    production: float
    productionVersion: int
    drop: float
    interval: List[float]
    data: Dict[str, Any]
    signature: Dict[str, Any]  # {compatible, problems}
    smoke: Dict[str, Any]  # {requests, errors, p50_ms?, p95_ms?, error?}: `python -m mlwb smoke`'s line
    evidence: str  # the comparison.json / evaluation.json, store-relative


class _RegistryBase(TypedDict):
    v: int
    t: str
    ts: float
    id: str
    model: str


class ModelEvaluationDataRecord(_RegistryBase):
    """``model.evaluation_data``: pins (or, with ``data: None``, unpins) the model's evaluation CSV."""

    data: Optional[EvaluationDataRef]


class VersionSignatureRecord(_RegistryBase):
    """``version.signature``: the columns of ``python -m mlwb signature`` / ``autolog/signature.json``."""

    version: int
    columns: List[Dict[str, Any]]
    source: str


class VersionGateRecord(_RegistryBase):
    """``version.gate``: a promotion the gate blocked (no stage change). A gated ``version.stage`` carries ``gate``."""

    version: int
    to: str
    gate: GateRecord


class VersionThresholdRecord(_RegistryBase):
    """``version.threshold``: a binary classifier's decision threshold on P(positive) (``serve --threshold``); None clears it."""

    version: int
    threshold: Optional[float]


REGISTRY_EVALUATION_TYPES = ("model.evaluation_data", "version.signature", "version.gate", "version.threshold")


RunEvent = Union[StatusRecord, HeartbeatRecord, ParamsRecord, MetricsRecord, LogRecord, FileRecord, TagsRecord, ClaimedRecord,
                 SchedulerRecord, ProcessRecord, TuningSessionRecord, TuningTrialRecord, TuningCompleteRecord]


def record(t: str, **fields: Any) -> Dict[str, Any]:
    """Build a journal record of type ``t``, stamped with the version and the current time."""
    return {"v": JOURNAL_VERSION, "t": t, "ts": time.time(), **fields}


def process_record(host: str, pid: int, *, python: Optional[Dict[str, Any]] = None, git: Optional[Dict[str, Any]] = None,
                   script: Optional[Dict[str, str]] = None) -> ProcessRecord:
    rec: Dict[str, Any] = record("process", host=host, pid=pid)
    for key, value in (("python", python), ("git", git), ("script", script)):
        if value:
            rec[key] = value
    return rec  # type: ignore[return-value]


def scheduler_record(job_id: str, state: str, *, node: Optional[str] = None, reason: Optional[str] = None,
                     output: Optional[str] = None) -> SchedulerRecord:
    rec: Dict[str, Any] = record("scheduler", scheduler="slurm", job_id=job_id, state=state)
    for key, value in (("node", node), ("reason", reason), ("output", output)):
        if value:
            rec[key] = value
    return rec  # type: ignore[return-value]
