"""``dxp``: an experiment that starts itself on first use and ends at interpreter exit."""
from __future__ import annotations

from ._experiment import Experiment, default_name, parse_ref


class AutoExperiment(Experiment):
    """The ``dxp`` singleton: named after the script (or ``"default"``), started lazily.

    Any use that needs a run (``dxp.log``, ``dxp.params.set``, ``dxp.metrics(...).log``, ``dxp.files``)
    starts one; it is completed at exit (failed if an exception escapes). ``dxp.run.complete()`` ends
    it early; the next use starts a new run.

    Example:
        >>> from mlwb import dxp
        >>> dxp.params.set(lr=0.001)
        >>> dxp.metrics("train").log(loss=0.5)
    """

    def __init__(self) -> None:
        super().__init__("default")
        self._auto = True

    def start(self) -> Experiment:
        with self._lock:
            if self._run is None:
                # Named at start, not at import: a runner may import mlwb before setting sys.argv.
                self._ref = parse_ref(default_name())
            return super().start()


dxp = AutoExperiment()
