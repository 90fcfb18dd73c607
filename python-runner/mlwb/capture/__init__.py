"""What an unmodified script already computes, captured under ``python -m mlwb run`` (``--no-autolog`` turns it
off, with sklearn autolog):

- ``_sklearn_metrics``: ``sklearn.metrics`` results and ``estimator.score`` on models fitted in the run; the
  classification reports and confusion matrices as JSON run files;
- ``_cli_params``: argparse namespaces and OmegaConf configs as params;
- ``_figures``: matplotlib figures (show, savefig, still open at the end) as PNG run files;
- ``_xgboost``: per-round evaluation, params, best iteration and the model file of XGBoost trainings.

Every hook waits for the script's own import of its library (``_import_hook.py``): nothing is imported here that
the script does not import. Their cost is measured (``_budget.py``) and bounded.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from .. import _ambient
from .._import_hook import PatchOnImport, replace
from . import _budget, _cli_params, _figures, _sklearn_metrics, _xgboost
from ._budget import note_once

_PARTS = (_sklearn_metrics, _cli_params, _figures, _xgboost)
_hook: Optional[PatchOnImport] = None


def install() -> None:
    """Enable every capture hook: patch what the script has imported already, and the rest when it does."""
    global _hook
    _budget.reset()
    hooks: Dict[str, Callable[[Any], None]] = {}
    for part in _PARTS:
        part.enable()
        hooks.update(part.HOOKS)
    _hook = replace(_hook, PatchOnImport(hooks, lambda name, e: note_once(f"patch:{name}", f"could not patch {name}: {e!r}", "warn")))
    _ambient.add_finisher(_report_cost)


def uninstall() -> None:
    """Stop capturing (patched functions stay patched but pass straight through); what the run's end keeps
    (figures still open, deferred model saves) is still done by its finishers."""
    for part in _PARTS:
        part.disable()
    if _hook is not None:
        _hook.remove()


def _report_cost(holder: Any) -> None:
    """What the hooks cost the run, as a debug line of its log (the bench reads it). Registered after the parts'
    finishers, it runs after them and counts their end-of-run saves too."""
    spent = _budget.budget.spent
    if spent > 0:
        holder.log(f"capture: the capture hooks spent {spent:.4f} s", level="debug", spent_s=round(spent, 6))
