"""mlwb's stand-in for ``mlflow.tracking``."""
from mlwb.compat.mlflow_api import MlflowClient  # noqa: F401
