"""FAKE real mlflow.tracking (a test fixture)."""
