"""mlwb's stand-in for ``mlflow.data``: datasets for ``mlflow.log_input`` (kept as run files under datasets/)."""
from mlwb.compat.mlflow_models import Dataset, from_numpy, from_pandas  # noqa: F401
