"""mlwb's stand-in for ``mlflow.pyfunc``: load any logged model for ``predict``; log ``python_model=`` models."""
from mlwb.compat.mlflow_flavors import PyFuncModel, PythonModel, PythonModelContext  # noqa: F401
from mlwb.compat.mlflow_flavors import pyfunc_load_model as load_model  # noqa: F401
from mlwb.compat.mlflow_flavors import pyfunc_log_model as log_model  # noqa: F401

FLAVOR_NAME = "python_function"
