"""FAKE real mlflow.sklearn (a test fixture): log_model only records the call."""
from _fake_log import record


def log_model(sk_model, artifact_path=None, **kwargs):
    record("mlflow", "sklearn.log_model", artifact_path=artifact_path, model=type(sk_model).__name__)
    return {"artifact_path": artifact_path}
