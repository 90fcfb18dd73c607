"""``explain(model, X, ...)``: SHAP values, importance, partial dependence, as one JSON-ready dict."""
from __future__ import annotations

import platform
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ._kernel import KernelExplainer
from ._model import ExplainError, Target, prepare
from ._treeshap import TreeExplainer

SCHEMA = "mlwb.explain/1"
Progress = Callable[[str, int, int], None]


class Cancelled(Exception):
    """The user cancelled: stop between units of work."""


def _versions() -> Dict[str, str]:
    import sys

    from .. import __version__

    out = {"mlwb": __version__, "python": platform.python_version()}
    for mod in ("numpy", "sklearn", "xgboost", "shap"):
        m = sys.modules.get(mod)
        if m is not None:
            out[mod] = str(getattr(m, "__version__", "?"))
    return out


def _ambient_progress(stage: str, current: int, total: int) -> None:
    from .._ambient import send_event

    send_event("explainProgress", stage=stage, current=current, total=total)


def _sample(n: int, k: Optional[int], rng: np.random.Generator) -> np.ndarray:
    if k is None or k >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, size=k, replace=False))


def _shap_lib_available() -> bool:
    try:
        import shap  # noqa: F401
    except Exception:
        return False
    return True


def explain(model: Any, X: Any, y: Any = None, *, feature_names: Optional[Sequence[str]] = None,
            method: str = "auto", rows: Optional[int] = None, background: int = 100, top: int = 5,
            grid_resolution: int = 20, ice: int = 50, perm_repeats: int = 5, perm_rows: int = 1000, pdp_rows: int = 500,
            nsamples: Optional[int] = None, seed: int = 0, progress: Optional[Progress] = None,
            cancelled: Optional[Callable[[], bool]] = None) -> Dict[str, Any]:
    """Explain ``model`` on rows of ``X`` (array or DataFrame; ``y`` enables permutation importance).

    method: ``auto`` (the shap library when importable, else exact TreeSHAP for supported trees, else
    KernelSHAP), ``tree``, ``kernel`` or ``shap``. Returns the dict written as ``explain.json``.

    Example:
        >>> from mlwb.explain import explain
        >>> result = explain(forest, X_test, y_test, feature_names=names, top=3)
        >>> result["importance"][0]["feature"], result["shap"]["outputs"][1]["baseValue"]
    """
    t_start = time.perf_counter()
    report = progress or _ambient_progress
    if method not in ("auto", "tree", "kernel", "shap"):
        raise ExplainError(f"unknown method {method!r} (auto, tree, kernel or shap)")

    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()

    if hasattr(X, "columns") and feature_names is None:
        feature_names = [str(c) for c in X.columns]
    X_raw = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
    if X_raw.ndim != 2 or X_raw.shape[0] == 0:
        raise ExplainError(f"need a non-empty 2-D table of rows, got shape {X_raw.shape}")
    if X_raw.dtype != object:
        X_raw = X_raw.astype(np.float64)
    if feature_names is None:
        from .._modelfile import feature_names as model_names

        known = model_names(model)
        feature_names = known if known is not None and len(known) == X_raw.shape[1] else None
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(X_raw.shape[1])]
    y_arr = None if y is None else np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    use_shap = method == "shap" or (method == "auto" and _shap_lib_available())
    if method == "shap" and not _shap_lib_available():
        raise ExplainError("--method shap needs the shap library, which this Python cannot import")
    target = prepare(model, "auto" if use_shap else method, names)
    X_e = _explained_inputs(target, X_raw, model, method, names)
    if target.method == "tree" and X_e.dtype == object:
        raise ExplainError("TreeSHAP needs numeric features: encode the text columns (e.g. in a Pipeline)")
    if not target.feature_names or len(target.feature_names) != X_e.shape[1]:
        target.feature_names = [f"x{j}" for j in range(X_e.shape[1])]
    if target.method == "tree" and target.sklearn_estimator and not use_shap and np.isnan(X_e).any():
        cols = [target.feature_names[j] for j in np.flatnonzero(np.isnan(X_e).any(axis=0))]
        raise ExplainError(f"missing values (NaN) in {', '.join(cols[:10])}{' ...' if len(cols) > 10 else ''}: "
                           f"{target.description.get('type', 'this model')} cannot take them (impute them first)")
    rng = np.random.default_rng(seed)
    n = X_e.shape[0]
    if rows is None:
        rows = 1000 if target.method == "tree" and not use_shap else 100
    idx = _sample(n, rows, rng)
    Xr = X_e[idx]
    check()

    # -- SHAP ---------------------------------------------------------------------------------
    t0 = time.perf_counter()
    bg_idx: Optional[np.ndarray] = None
    nsamples_used: Optional[int] = None
    report("shap", 0, len(idx))
    if use_shap:  # pragma: no cover - shap is not installable where the tests run
        from ._shaplib import shap_values

        bg_idx = _sample(n, background, rng)
        phi, base, algorithm = shap_values(target, Xr, X_e[bg_idx])
    elif target.method == "tree":
        assert target.ensemble is not None
        tx = TreeExplainer(target.ensemble)

        def on_chunk(done: int) -> None:
            report("shap", done, len(idx))
            check()

        phi = tx.shap_values(Xr, on_chunk=on_chunk)
        base = tx.expected_value
        algorithm = "treeshap-path-dependent"
    else:
        bg_idx = _sample(n, background, rng)
        kx = KernelExplainer(target.predict, X_e[bg_idx], nsamples=nsamples, seed=seed)

        def on_row(done: int) -> None:
            report("shap", done, len(idx))
            check()

        phi = kx.shap_values(Xr, on_row=on_row)
        base = kx.expected_value
        algorithm = "kernelshap-exact" if kx.exact else "kernelshap-sampled"
        nsamples_used = int(len(kx.Z))
    shap_ms = (time.perf_counter() - t0) * 1000
    pred = target.predict(Xr)
    local_err = float(np.max(np.abs(base[None, :] + phi.sum(axis=1) - pred))) if len(idx) else 0.0
    check()

    mean_abs = np.abs(phi).mean(axis=0)  # (features, outputs)
    overall = mean_abs.mean(axis=1)
    order = np.argsort(-overall, kind="stable")
    top_idx = [int(j) for j in order[: max(0, top)]]

    # -- permutation importance ---------------------------------------------------------------
    t0 = time.perf_counter()
    perm: Optional[Dict[str, Any]] = None
    perm_skipped: Optional[str] = None
    if y_arr is None:
        perm_skipped = "no target column (pass --target / y) to score against"
    else:
        pidx = _sample(n, perm_rows, rng)
        perm = _run_permutation(target, X_e[pidx], y_arr[pidx], perm_repeats, seed, check, report)
    perm_ms = (time.perf_counter() - t0) * 1000

    # -- partial dependence / ICE ---------------------------------------------------------------
    t0 = time.perf_counter()
    pdps: List[Dict[str, Any]] = []
    pdp_idx = idx if len(idx) >= pdp_rows else _sample(n, pdp_rows, rng)  # averages need enough rows
    ice_rows = np.sort(rng.permutation(len(pdp_idx))[: max(0, ice)])
    numeric_top = [j for j in top_idx if _is_numeric_column(X_e[:, j])]
    for k, j in enumerate(numeric_top):
        report("partialDependence", k, len(numeric_top))
        check()
        pd_ = _partial_dependence(target, X_e[pdp_idx], j, grid_resolution, ice_rows)
        pdps.append({"feature": target.feature_names[j], "index": j, **pd_, "rows": int(len(pdp_idx)),
                     "iceRows": [int(pdp_idx[i]) for i in ice_rows]})
    if numeric_top:
        report("partialDependence", len(numeric_top), len(numeric_top))
    pdp_ms = (time.perf_counter() - t0) * 1000

    importance = []
    for j in order:
        entry: Dict[str, Any] = {"feature": target.feature_names[j], "index": int(j),
                                 "meanAbsShap": float(overall[j]), "meanAbsShapByOutput": mean_abs[j].tolist()}
        if perm is not None:
            entry["permutationMean"] = perm["mean"][j]
            entry["permutationStd"] = perm["std"][j]
        importance.append(entry)
    feature_values = [[_cell(v) for v in row] for row in (X_e[idx] if X_e.dtype == object else Xr)]
    return {
        "schema": SCHEMA,
        "metadata": {
            "model": target.description,
            "task": target.task,
            "classes": [_cell(c) for c in target.classes] if target.classes is not None else None,
            "featureNames": target.feature_names,
            "method": "shap" if use_shap else target.method,
            "algorithm": algorithm,
            "outputSpace": target.output_space,
            "outputNames": target.output_names,
            "rows": int(len(idx)),
            "dataRows": int(n),
            "rowIndices": idx.tolist(),
            "background": None if bg_idx is None else int(len(bg_idx)),
            "coalitions": nsamples_used,
            "topFeatures": [target.feature_names[j] for j in top_idx],
            "localAccuracyMaxError": local_err,
            "timing": {"shapMs": round(shap_ms, 3), "permutationMs": round(perm_ms, 3), "pdpMs": round(pdp_ms, 3),
                       "totalMs": round((time.perf_counter() - t_start) * 1000, 3)},
            "options": {"gridResolution": grid_resolution, "ice": ice, "pdpRows": pdp_rows, "permRepeats": perm_repeats,
                        "permRows": perm_rows, "seed": seed},
            "notes": target.notes,
            "versions": _versions(),
            "created": time.time(),
        },
        "shap": {
            "featureValues": feature_values,
            "outputs": [{"name": target.output_names[c], "baseValue": float(base[c]),
                         "values": phi[:, :, c].tolist(), "prediction": pred[:, c].tolist(),
                         "meanAbs": mean_abs[:, c].tolist()} for c in range(phi.shape[2])],
        },
        "importance": importance,
        "permutationImportance": perm,
        "permutationSkipped": perm_skipped,
        "partialDependence": pdps,
    }


def _is_numeric_column(col: np.ndarray) -> bool:
    if col.dtype != object:
        return True
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in col)


def _cell(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v if isinstance(v, (str, bool)) or v is None else str(v)


def _explained_inputs(target: Target, X_raw: np.ndarray, model: Any, method: str, names: List[str]) -> np.ndarray:
    if target.transform is None:
        return X_raw
    try:
        return target.transform(X_raw)
    except Exception as e:
        if method == "tree":
            raise ExplainError(f"could not transform the data through the pipeline: {e}") from None
        fallback = prepare(model, "kernel", names)
        target.__dict__.update(fallback.__dict__)
        target.notes.append(f"KernelSHAP on the whole pipeline: its steps could not transform the data ({e})")
        return X_raw


def _run_permutation(target: Target, X: np.ndarray, y: np.ndarray, repeats: int, seed: int,
                     check: Callable[[], None], report: Progress) -> Dict[str, Any]:
    from ._inspect import permutation

    return permutation(target, X, y, repeats, seed, check, lambda c, t: report("permutation", c, t))


def _partial_dependence(target: Target, X: np.ndarray, j: int, grid: int, ice_rows: np.ndarray) -> Dict[str, Any]:
    from ._inspect import partial_dependence

    return partial_dependence(target, X, j, grid, ice_rows)


def save_explanation(result: Dict[str, Any], exp: Any = None) -> Dict[str, Any]:
    """Store ``result`` as the run file ``explain/explain.json`` of ``exp`` (default: the run that
    ``python -m mlwb run`` tracks for this script). Returns the file's dict."""
    from .._ambient import owner
    from .._encode import sanitize

    exp = exp if exp is not None else owner()
    if exp is None:
        raise RuntimeError("no open run to save the explanation into: pass an Experiment")
    return exp.files("explain", description="model explanation (SHAP, importance, PDP/ICE)").save_json(
        sanitize(result), to="explain.json")
