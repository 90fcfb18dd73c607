"""mlwb's stand-in for ``mlflow.exceptions``."""
from mlwb.compat.mlflow_entities import MlflowException  # noqa: F401
