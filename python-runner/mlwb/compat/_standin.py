"""What every stand-in module (``mlwb/_standins/*``) does first: refuse to load outside ``python -m mlwb run``, and
say once, in the run's log, that it stands in for the library the interpreter lacks."""
from __future__ import annotations

import importlib
from typing import Any, Dict, List

from .. import _ambient
from . import _notes


def enter(library: str, what: str) -> None:
    """Called at the top of a stand-in package: ``library`` is what the script imported."""
    if _ambient.current() is None:
        raise ModuleNotFoundError(f"No module named {library!r} (mlwb's stand-in for it works only under "
                                  f"`python -m mlwb run`)", name=library)
    _notes.note(f"standin:{library}", f"{library} is not installed: mlwb's stand-in for it is in use ({what}); what it "
                "does not support is said once in this log")


def lazy_submodules(package: str, names: List[str], namespace: Dict[str, Any]) -> Any:
    """A module ``__getattr__`` that imports the package's submodules on first use (``mlflow.sklearn.autolog()``
    works after a bare ``import mlflow``, as with the real package), and names what the stand-in lacks."""
    def __getattr__(name: str) -> Any:
        if name in names:
            module = importlib.import_module(f"{package}.{name}")
            namespace[name] = module
            return module
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"{package}.{name} is not provided by mlwb's {package} stand-in (the real {package} is not "
                             f"installed); see the README's 'Tracker compatibility' for what is")
    return __getattr__
