"""MLflow's entities (Run, RunInfo, RunData, Metric, ...) as the stand-in returns them, built from the store."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ._store_reader import RunView

# mlwb status -> MLflow's RunStatus name (a crashed run is FAILED: MLflow has no other word for it)
STATUS = {"running": "RUNNING", "completed": "FINISHED", "failed": "FAILED", "cancelled": "KILLED",
          "crashed": "FAILED", "queued": "SCHEDULED"}


class MlflowException(Exception):
    """What MLflow raises; the stand-in raises it where MLflow would, and for what it cannot do."""

    def __init__(self, message: Any, error_code: str = "INTERNAL_ERROR", **kwargs: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.error_code = error_code


class RunStatus:
    RUNNING, SCHEDULED, FINISHED, FAILED, KILLED = "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"

    @staticmethod
    def is_terminated(status: str) -> bool:
        return status in ("FINISHED", "FAILED", "KILLED")

    @staticmethod
    def all_status() -> List[str]:
        return ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]


class ViewType:
    ACTIVE_ONLY, DELETED_ONLY, ALL = 1, 2, 3


class LifecycleStage:
    ACTIVE, DELETED = "active", "deleted"


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: Optional[int]


@dataclass
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str = ""
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: Dict[str, str] = field(default_factory=dict)
    creation_time: Optional[int] = None
    last_update_time: Optional[int] = None


@dataclass
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int
    end_time: Optional[int]
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    user_id: str = ""

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass
class RunData:
    metrics: Dict[str, float]
    params: Dict[str, str]
    tags: Dict[str, str]


@dataclass
class RunInputs:
    dataset_inputs: List[Any] = field(default_factory=list)


@dataclass
class Run:
    info: RunInfo
    data: RunData
    inputs: RunInputs = field(default_factory=RunInputs)

    def to_dictionary(self) -> Dict[str, Any]:
        return {"info": dict(vars(self.info)), "data": {"metrics": dict(self.data.metrics), "params": dict(self.data.params),
                                                        "tags": dict(self.data.tags)}}


def param_text(v: Any) -> str:
    """MLflow keeps params as text (``str(value)``)."""
    return v if isinstance(v, str) else str(v)


def last_metrics(view: RunView) -> Dict[str, float]:
    """The latest value of each metric: the highest step, then the latest time (MLflow's rule)."""
    out: Dict[str, float] = {}
    for key, (steps, values, times) in view.series.items():
        if steps:
            i = max(range(len(steps)), key=lambda k: (steps[k], times[k], k))
            out[key] = values[i]
    return out


def run_params(view: RunView) -> Dict[str, str]:
    """The run's params as text; mlwb's sklearn autolog params (``autolog.<Class>.<name>``) also under their bare
    name, as MLflow's sklearn autolog logs them, unless the script logged that name itself."""
    params = {k: param_text(v) for k, v in view.params.items()}
    for key, v in view.params.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[0] == "autolog" and parts[2] != "class":
            params.setdefault(parts[2], param_text(v))
    return params


def run_tags(view: RunView) -> Dict[str, str]:
    tags = {label: "" for label in view.labels}
    tags.update(view.tags)
    tags["mlflow.runName"] = view.name
    if view.parent:
        tags["mlflow.parentRunId"] = view.parent
    script = view.manifest.get("script")
    if isinstance(script, dict) and script.get("path"):
        tags.setdefault("mlflow.source.name", str(script["path"]))
        tags.setdefault("mlflow.source.type", "LOCAL")
    git = view.manifest.get("git")
    if isinstance(git, dict) and git.get("commit"):
        tags.setdefault("mlflow.source.git.commit", str(git["commit"]))
    return tags


def to_run(view: RunView) -> Run:
    ms = lambda t: int(round(t * 1000)) if t is not None else None  # noqa: E731
    info = RunInfo(run_id=view.id, experiment_id=view.experiment, run_name=view.name,
                   status=STATUS.get(view.status, "RUNNING"), start_time=ms(view.created) or 0, end_time=ms(view.ended),
                   artifact_uri=(view.dir / "files").as_uri(),
                   lifecycle_stage=LifecycleStage.DELETED if view.deleted else LifecycleStage.ACTIVE,
                   user_id=str(view.manifest.get("user") or ""))
    data = RunData(metrics=last_metrics(view), params=run_params(view), tags=run_tags(view))
    return Run(info=info, data=data)
