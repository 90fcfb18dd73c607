"""mlwb's stand-in for ``tensorboardX`` (not the real package): ``SummaryWriter`` onto the run of ``python -m mlwb run``."""
from mlwb.compat._standin import enter

enter("tensorboardX", "SummaryWriter's scalars, hparams, text, figures, images and histogram summaries go into this run")

from mlwb.compat.tensorboard_api import SummaryWriter  # noqa: E402

__version__ = "2.6+mlwb.standin"
__mlwb_standin__ = True
