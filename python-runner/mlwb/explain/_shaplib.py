"""The shap library, when the user's Python has it (it is not installable where the tests run)."""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ._model import Target


def shap_values(target: Target, X: np.ndarray, background: np.ndarray) -> Tuple[np.ndarray, np.ndarray, str]:  # pragma: no cover
    """(phi (rows, features, outputs), base values (outputs,), algorithm name) in the target's output space."""
    import shap

    if target.method == "tree":
        ex = shap.TreeExplainer(target.model, feature_perturbation="tree_path_dependent")
        values, base, name = ex.shap_values(X, check_additivity=False), ex.expected_value, "shap.TreeExplainer"
    else:
        ex = shap.KernelExplainer(target.predict, background)
        values, base, name = ex.shap_values(X, silent=True), ex.expected_value, "shap.KernelExplainer"
    if isinstance(values, list):  # one array per output (older shap)
        phi = np.stack([np.asarray(v) for v in values], axis=2)
    else:
        phi = np.asarray(values)
        if phi.ndim == 2:
            phi = phi[:, :, None]
    return phi, np.atleast_1d(np.asarray(base, dtype=np.float64)), name
