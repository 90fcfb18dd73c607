"""mlwb's stand-in for ``mlflow.models.signature``."""
from mlwb.compat.mlflow_models import ModelSignature, infer_signature  # noqa: F401
