"""mlwb: track ML runs into a local store that the MLOps Workbench VS Code extension reads.

Standard library only; numpy/torch/matplotlib values and objects are accepted when installed.

Example:
    >>> from mlwb import Experiment
    >>> with Experiment("alice/mnist/baseline").run as exp:
    ...     exp.params.set(lr=1e-3, batch_size=32)
    ...     exp.metrics("train").log(step=0, loss=0.9)
    ...     exp.log("done")

Quick scripts and notebooks can use the auto-started ``dxp`` instead:

    >>> from mlwb import dxp
    >>> dxp.metrics("train").log(loss=0.5)

Any script can be run tracked, unmodified: ``python -m mlwb run train.py [args]`` (see ``__main__``).
Hyperparameter tuning, streamed live to VS Code: ``from mlwb import tune; tune.run(objective, n_trials=30)``
(see ``mlwb.tune``), or ``python -m mlwb tune --spec tune.json``.
``mlwb.search_runs("metrics.acc > 0.9 or params.model = 'rf'")`` queries the store (a pandas DataFrame, MLflow's columns).
``mlwb.progress(current, total)`` reports progress to VS Code when run that way (a no-op otherwise).
In a notebook, ``%load_ext mlwb`` (or ``import mlwb.autolog``) tracks the notebook as a run (see ``_kernel``).
"""
from ._ambient import progress
from ._autostart import AutoExperiment, dxp
from ._experiment import Experiment
from ._lifecycle import RunManager
from ._files import FileBuilder
from ._journal import JournalClosed
from ._logs import LEVELS, Logs
from ._metrics import MetricBuilder, Metrics, SummaryBuffer
from ._params import Params
from ._records import JOURNAL_VERSION
from ._store import ENV_STORE, resolve_store
from . import tune

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext mlwb``: track this notebook as a run (sklearn autolog, capture, tracker stand-ins, its cells)."""
    from ._kernel import start_tracking

    start_tracking()


def unload_ipython_extension(ipython: object) -> None:
    """``%unload_ext mlwb``: end the notebook's run (completed) and take the hooks off."""
    from ._kernel import stop_tracking

    stop_tracking()


def __getattr__(name: str) -> object:
    # Loaded on first use: ``import mlwb`` stays as cheap as before for the scripts that only log.
    if name == "search_runs":
        from ._search import search_runs

        return search_runs
    if name == "QueryError":
        from ._query import QueryError

        return QueryError
    raise AttributeError(f"module 'mlwb' has no attribute {name!r}")


__all__ = [
    "ENV_STORE",
    "JOURNAL_VERSION",
    "LEVELS",
    "AutoExperiment",
    "Experiment",
    "FileBuilder",
    "JournalClosed",
    "Logs",
    "MetricBuilder",
    "Metrics",
    "Params",
    "QueryError",
    "RunManager",
    "SummaryBuffer",
    "dxp",
    "progress",
    "resolve_store",
    "search_runs",
    "tune",
]
