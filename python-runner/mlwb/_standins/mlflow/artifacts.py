"""mlwb's stand-in for ``mlflow.artifacts``."""
from mlwb.compat.mlflow_api import download_artifacts  # noqa: F401
