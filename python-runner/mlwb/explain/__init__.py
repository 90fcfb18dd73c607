"""Model explanations: exact TreeSHAP, KernelSHAP, permutation importance, partial dependence / ICE.

Needs numpy and scikit-learn (imported when this package is); xgboost for XGBoost models; uses the
shap library instead of our explainers when it is importable (``method="auto"``).

    python -m mlwb explain --model model.pkl --data test.csv --target y --out explain/

SECURITY: pickle/joblib model files are code; only load files you trust (the CLI loads exactly the one
file it is given).
"""
from __future__ import annotations

try:
    import numpy  # noqa: F401
    import sklearn  # noqa: F401
except ImportError as _e:  # pragma: no cover
    raise ImportError(
        f"mlwb.explain needs numpy and scikit-learn, which this Python cannot import ({_e}); "
        "install them in the interpreter the extension uses (pip install numpy scikit-learn)") from None

from ._adapters import Unsupported, from_sklearn, from_xgboost
from ._api import SCHEMA, Cancelled, explain, save_explanation
from ._exact import kernel_shap_brute, tree_shap_brute
from ._kernel import KernelExplainer
from ._model import ExplainError
from ._tree import Tree, TreeEnsemble
from ._treeshap import TreeExplainer, tree_shap
from ._treeshap_reference import tree_shap_reference_ensemble

__all__ = [
    "SCHEMA", "Cancelled", "ExplainError", "KernelExplainer", "Tree", "TreeEnsemble", "TreeExplainer",
    "Unsupported", "explain", "from_sklearn", "from_xgboost", "kernel_shap_brute", "save_explanation",
    "tree_shap", "tree_shap_brute", "tree_shap_reference_ensemble",
]
