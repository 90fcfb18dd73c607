"""mlwb's stand-in for ``wandb.errors``."""
from mlwb.compat.wandb_api import Error  # noqa: F401


class CommError(Error):
    pass


class UsageError(Error):
    pass
