"""mlwb's stand-in for ``mlflow.xgboost``: models saved as XGBoost JSON run files; no autolog (it says so)."""
from mlwb.compat.mlflow_flavors import xgboost_autolog as autolog  # noqa: F401
from mlwb.compat.mlflow_flavors import xgboost_load_model as load_model  # noqa: F401
from mlwb.compat.mlflow_flavors import xgboost_log_model as log_model  # noqa: F401
from mlwb.compat.mlflow_flavors import xgboost_save_model as save_model  # noqa: F401

FLAVOR_NAME = "xgboost"
