"""mlwb's stand-in for ``mlflow.sklearn``: autolog is mlwb's sklearn autolog; models are run files (model.pkl + MLmodel)."""
from mlwb.compat.mlflow_api import sklearn_autolog as autolog  # noqa: F401
from mlwb.compat.mlflow_flavors import sklearn_load_model as load_model  # noqa: F401
from mlwb.compat.mlflow_flavors import sklearn_log_model as log_model  # noqa: F401
from mlwb.compat.mlflow_flavors import sklearn_save_model as save_model  # noqa: F401

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
