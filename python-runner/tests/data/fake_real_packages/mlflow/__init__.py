"""FAKE real mlflow (a test fixture, see ../README.md): the fluent API re-exported from mlflow.tracking.fluent."""
from mlflow.tracking.fluent import (  # noqa: F401
    active_run, end_run, get_experiment, log_metric, log_metrics, log_param, log_params, set_experiment, set_tag, start_run,
)

__version__ = "2.16.0.fake-real"
