"""Evaluating a model on labelled data, and comparing two on the same rows (``python -m mlwb evaluate``).

Every number comes from scikit-learn's own function (evaluation.json's ``functions`` names each); the
contracts are in ``mlwb/EVALUATION.md``."""
from __future__ import annotations

from ._compare import bootstrap, compare, mcnemar
from ._evaluate import Cancelled, EvaluateError, Outcome, evaluate, label_key

__all__ = ["Cancelled", "EvaluateError", "Outcome", "bootstrap", "compare", "evaluate", "label_key", "mcnemar"]
