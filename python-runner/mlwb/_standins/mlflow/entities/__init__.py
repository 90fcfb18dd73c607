"""mlwb's stand-in for ``mlflow.entities``."""
from mlwb.compat.mlflow_entities import (  # noqa: F401
    Experiment, FileInfo, LifecycleStage, Metric, Param, Run, RunData, RunInfo, RunInputs, RunStatus, RunTag, ViewType,
)
