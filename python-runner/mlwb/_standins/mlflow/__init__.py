"""mlwb's stand-in for ``mlflow`` (not the real package): MLflow's fluent API onto the run of ``python -m mlwb run``."""
from mlwb.compat._standin import enter, lazy_submodules

enter("mlflow", "MLflow's fluent API and MlflowClient write into and read from this workspace's runs")

from mlwb.compat.mlflow_api import (  # noqa: E402
    ActiveRun, MlflowClient, active_run, autolog, create_experiment, delete_tag, disable_system_metrics_logging,
    enable_system_metrics_logging, end_run, flush_async_logging, get_artifact_uri, get_experiment, get_experiment_by_name,
    get_parent_run, get_registry_uri, get_run, get_tracking_uri, is_tracking_uri_set, last_active_run, log_artifact,
    log_artifacts, log_dict, log_figure, log_image, log_input, log_metric, log_metrics, log_param, log_params, log_table,
    log_text, register_model, search_experiments, search_runs, set_experiment, set_experiment_tag, set_experiment_tags,
    set_registry_uri, set_tag, set_tags, set_tracking_uri, start_run,
)
from mlwb.compat.mlflow_entities import MlflowException  # noqa: E402
from mlwb.compat.mlflow_models import STANDIN_VERSION as __version__  # noqa: E402

__mlwb_standin__ = True
__getattr__ = lazy_submodules("mlflow", ["sklearn", "pyfunc", "pytorch", "xgboost", "models", "tracking", "client",
                                         "entities", "exceptions", "data", "artifacts"], globals())
