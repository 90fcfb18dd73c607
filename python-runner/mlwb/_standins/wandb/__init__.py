"""mlwb's stand-in for ``wandb`` (not the real package): W&B's SDK, offline, onto the run of ``python -m mlwb run``."""
import sys as _sys

from mlwb.compat._standin import enter as _enter

_enter("wandb", "wandb.init/config/log/summary/finish, Image, Table and Histogram write into this run")

from mlwb.compat import wandb_api as _api  # noqa: E402
from mlwb.compat.wandb_api import (  # noqa: E402,F401
    Api, Artifact, Audio, Error, Histogram, Html, Image, Molecule, Object3D, Plotly, Run, Settings, Table, Video, agent,
    alert, define_metric, finish, init, log, log_artifact, login, require, save, setup, sweep, termerror, termlog,
    termwarn, unwatch, use_artifact, watch,
)
from . import errors, plot  # noqa: E402,F401

__version__ = _api.STANDIN_VERSION
__mlwb_standin__ = True


class _PreInit:
    """``wandb.config`` / ``wandb.summary`` before ``wandb.init()``: W&B's error, not a silent object."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _fail(self, *args: object, **kwargs: object) -> None:
        raise Error(f"You must call wandb.init() before wandb.{self._name}")

    __getattr__ = __setattr__ = __getitem__ = __setitem__ = __contains__ = __iter__ = _fail


run = None
config = _PreInit("config")
summary = _PreInit("summary")


def _bind(current):
    module = _sys.modules[__name__]
    module.run = current
    module.config = current.config if current is not None else _PreInit("config")
    module.summary = current.summary if current is not None else _PreInit("summary")


_api._bind = _bind
