"""mlwb's stand-in for ``mlflow.pytorch``: models saved with torch.save as run files; no autolog (it says so)."""
from mlwb.compat.mlflow_flavors import pytorch_autolog as autolog  # noqa: F401
from mlwb.compat.mlflow_flavors import pytorch_load_model as load_model  # noqa: F401
from mlwb.compat.mlflow_flavors import pytorch_log_model as log_model  # noqa: F401
from mlwb.compat.mlflow_flavors import pytorch_save_model as save_model  # noqa: F401

FLAVOR_NAME = "pytorch"
