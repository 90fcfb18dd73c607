"""mlwb's stand-in for ``mlflow.models``."""
from mlwb.compat.mlflow_models import ModelInfo, ModelSignature, infer_signature  # noqa: F401
