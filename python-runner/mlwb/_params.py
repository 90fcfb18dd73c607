"""``exp.params``: hyperparameters, stored flattened with dot keys (``model.lr``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping

from ._records import record

if TYPE_CHECKING:
    from ._experiment import Experiment


def flatten(values: Mapping[Any, Any], prefix: str = "") -> Dict[str, Any]:
    """``{"model": {"lr": 0.1}}`` -> ``{"model.lr": 0.1}``; empty mappings stay as ``{}`` leaves."""
    out: Dict[str, Any] = {}
    for k, v in values.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = dict(v) if isinstance(v, Mapping) else v
    return out


def unflatten(flat: Mapping[str, Any]) -> Dict[str, Any]:
    """``{"model.lr": 0.1}`` -> ``{"model": {"lr": 0.1}}``."""
    root: Dict[str, Any] = {}
    for key, v in flat.items():
        node = root
        *parents, leaf = key.split(".")
        for p in parents:
            child = node.get(p)
            if not isinstance(child, dict):
                child = node[p] = {}
            node = child
        node[leaf] = v
    return root


class Params:
    """Hyperparameters of an experiment (kept across restarts; written to each run's journal).

    Example:
        >>> exp.params.set(lr=0.001, model={"arch": "resnet50", "layers": 50})
        >>> exp.params.get()
        {'lr': 0.001, 'model.arch': 'resnet50', 'model.layers': 50}
        >>> exp.params.get(flatten=False)["model"]["arch"]
        'resnet50'
    """

    def __init__(self, exp: "Experiment") -> None:
        self._exp = exp
        self._values: Dict[str, Any] = {}

    def set(self, **values: Any) -> "Params":
        """Merge ``values`` (nested dicts allowed) into the parameters; returns ``self``.

        A key replaces what it conflicts with: setting ``model=1`` drops ``model.lr`` and the reverse.
        Each call appends a ``params`` record holding the full flattened set so far.
        """
        new = flatten(values)
        for key in new:
            for old in [o for o in self._values if o.startswith(key + ".") or key.startswith(o + ".")]:
                del self._values[old]
        self._values.update(new)
        self._exp._on_params(self)
        return self

    def get(self, flatten: bool = True) -> Dict[str, Any]:
        """Return a copy of the parameters, flat (dot keys) or nested."""
        return dict(self._values) if flatten else unflatten(self._values)

    def _record(self) -> Dict[str, Any]:
        return record("params", values=dict(self._values))
