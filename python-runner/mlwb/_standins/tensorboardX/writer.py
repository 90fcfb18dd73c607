"""mlwb's stand-in for ``tensorboardX.writer``."""
from mlwb.compat.tensorboard_api import SummaryWriter  # noqa: F401

__mlwb_standin__ = True
