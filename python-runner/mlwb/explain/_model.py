"""What is explained: the model (or a pipeline's final estimator), in which input space and output space.

``prepare(model, method, input_names)`` returns a ``Target``:
* a tree model with an adapter (see ``_adapters``) -> exact TreeSHAP on its ``TreeEnsemble``;
* an sklearn ``Pipeline`` whose last step has an adapter -> TreeSHAP of that step on the features the
  steps before it produce (``get_feature_names_out`` names them); if that is not possible, KernelSHAP
  on the whole pipeline and its raw input columns;
* anything with ``predict_proba`` (classifiers: class probabilities) or ``predict`` -> KernelSHAP.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ._adapters import Unsupported, _qualname, booster_objective, from_sklearn, from_xgboost
from ._tree import TreeEnsemble


class ExplainError(Exception):
    """A user-facing problem (bad model, data or option): the CLI prints it and exits with 2."""


@dataclass
class Target:
    model: Any  # the object whose outputs are explained
    method: str  # "tree" | "kernel"
    feature_names: List[str]  # of the explained input space
    task: str  # "classification" | "regression"
    classes: Optional[List[Any]]
    output_names: List[str]
    output_space: str  # "probability" | "raw" | "margin" | "prediction"
    predict: Callable[[np.ndarray], np.ndarray]  # explained inputs (n, M) -> outputs (n, K)
    transform: Optional[Callable[[Any], np.ndarray]] = None  # raw inputs -> explained inputs
    ensemble: Optional[TreeEnsemble] = None
    description: Dict[str, Any] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    sklearn_estimator: bool = True  # usable with sklearn.inspection as is


def _is_booster(model: Any) -> bool:
    return type(model).__name__ == "Booster" and type(model).__module__.startswith("xgboost")


def _is_xgb_sklearn(model: Any) -> bool:
    return type(model).__module__.startswith("xgboost") and hasattr(model, "get_booster")


def _is_pipeline(model: Any) -> bool:
    return type(model).__name__ == "Pipeline" and hasattr(model, "steps")


def as_model_input(model: Any, X: np.ndarray) -> Any:
    """A DataFrame with the fitted column names when the model was fitted on one (sklearn checks them)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return X
    try:
        import pandas as pd
    except ImportError:
        return X
    df = pd.DataFrame(X, columns=list(names))
    return df.infer_objects() if X.dtype == object else df


def _as_2d(a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(a.shape[0], -1)


def _is_classifier(model: Any) -> bool:
    return getattr(model, "_estimator_type", None) == "classifier"


def _xgb_target(booster: Any, names: List[str], classes: Optional[List[Any]], wrapper: Any) -> Target:
    import xgboost

    objective = booster_objective(booster)
    task = "classification" if objective.startswith(("binary:", "multi:")) else "regression"
    fnames, ftypes = booster.feature_names, booster.feature_types

    def margin(X: np.ndarray) -> np.ndarray:
        dm = xgboost.DMatrix(np.asarray(X, dtype=np.float32), feature_names=fnames, feature_types=ftypes)
        return _as_2d(booster.predict(dm, output_margin=True))

    ensemble = from_xgboost(booster, classes)
    if classes is None and task == "classification":
        classes = list(range(max(2, len(ensemble.output_names))))
    return Target(model=booster, method="tree", feature_names=names, task=task, classes=classes,
                  output_names=ensemble.output_names, output_space="margin", predict=margin, ensemble=ensemble,
                  description={"type": _qualname(wrapper), "library": "xgboost", "objective": objective},
                  notes=list(ensemble.notes), sklearn_estimator=False)


def _sklearn_output(est: Any, space: str) -> Callable[[np.ndarray], np.ndarray]:
    if space == "probability":
        return lambda X: _as_2d(est.predict_proba(as_model_input(est, X)))
    if space == "raw":
        return lambda X: _as_2d(est.decision_function(as_model_input(est, X)))
    return lambda X: _as_2d(est.predict(as_model_input(est, X)))


def _kernel_target(model: Any, names: List[str], desc: Dict[str, Any]) -> Target:
    if _is_booster(model):
        raise ExplainError("KernelSHAP on a raw XGBoost booster is not supported: use --method tree")
    if not hasattr(model, "predict"):
        raise ExplainError(f"{_qualname(model)} has no predict(): nothing to explain")
    if _is_classifier(model) and hasattr(model, "predict_proba"):
        classes = list(getattr(model, "classes_", []))
        return Target(model=model, method="kernel", feature_names=names, task="classification", classes=classes,
                      output_names=[f"P({c})" for c in classes], output_space="probability",
                      predict=_sklearn_output(model, "probability"), description=desc)
    task = "classification" if _is_classifier(model) else "regression"
    return Target(model=model, method="kernel", feature_names=names, task=task,
                  classes=list(getattr(model, "classes_", [])) or None, output_names=["prediction"],
                  output_space="prediction", predict=_sklearn_output(model, "prediction"), description=desc)


def prepare(model: Any, method: str, input_names: Sequence[str]) -> Target:
    """Decide how to explain ``model`` (method: auto | tree | kernel | shap) given its input columns."""
    names = [str(n) for n in input_names]
    desc: Dict[str, Any] = {"type": _qualname(model)}
    if _is_booster(model) or _is_xgb_sklearn(model):
        booster = model if _is_booster(model) else model.get_booster()
        classes = list(model.classes_) if hasattr(model, "classes_") else None
        if method == "kernel" and not _is_booster(model):
            return _kernel_target(model, names, {**desc, "library": "xgboost"})
        try:
            return _xgb_target(booster, names, classes, model)
        except Unsupported as e:
            if method == "tree":
                raise ExplainError(f"TreeSHAP cannot explain this model: {e}") from None
            if _is_booster(model):
                raise ExplainError(f"cannot explain this XGBoost booster: {e}") from None
            target = _kernel_target(model, names, {**desc, "library": "xgboost"})
            target.notes.append(f"KernelSHAP because {e}")
            return target
    desc["library"] = type(model).__module__.split(".")[0]
    estimator, transform, est_names = model, None, names
    if _is_pipeline(model) and method != "kernel":
        final = model.steps[-1][1]
        head = model[:-1]
        desc["pipeline"] = [f"{n}: {_qualname(s)}" for n, s in model.steps]
        desc["finalEstimator"] = _qualname(final)
        try:
            from_sklearn(final)
            est_names = _transformed_names(head, names)
            estimator, transform = final, (lambda X, head=head: _dense(head.transform(as_model_input(model, X))))
        except Unsupported:
            pass
    if method != "kernel":
        try:
            ensemble = from_sklearn(estimator)
        except Unsupported as e:
            if method == "tree":
                raise ExplainError(f"TreeSHAP cannot explain this model: {e}") from None
            target = _kernel_target(model, names, desc)
            target.notes.append(f"KernelSHAP because {e}")
            return target
        classes = list(estimator.classes_) if hasattr(estimator, "classes_") else None
        notes = list(ensemble.notes)
        if transform is not None:
            notes.append("explains the pipeline's final estimator on the features its earlier steps produce")
        return Target(model=estimator, method="tree", feature_names=est_names,
                      task="classification" if classes is not None else "regression", classes=classes,
                      output_names=ensemble.output_names, output_space=ensemble.space,
                      predict=_sklearn_output(estimator, ensemble.space), transform=transform, ensemble=ensemble,
                      description=desc, notes=notes)
    return _kernel_target(model, names, desc)


def _dense(X: Any) -> np.ndarray:
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _transformed_names(head: Any, names: List[str]) -> List[str]:
    try:
        return [str(n) for n in head.get_feature_names_out(names)]
    except Exception:
        return []  # filled in as x0..x{n-1} once the width is known
