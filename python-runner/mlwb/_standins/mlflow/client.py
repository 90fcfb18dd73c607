"""mlwb's stand-in for ``mlflow.client``."""
from mlwb.compat.mlflow_api import MlflowClient  # noqa: F401
