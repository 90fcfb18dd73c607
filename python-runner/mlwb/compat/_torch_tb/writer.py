"""mlwb's stand-in for ``torch.utils.tensorboard.writer`` (the ``tensorboard`` package is not installed)."""
from mlwb.compat.tensorboard_api import SummaryWriter  # noqa: F401

__mlwb_standin__ = True
