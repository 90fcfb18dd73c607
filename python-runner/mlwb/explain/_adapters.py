"""Tree models -> ``TreeEnsemble``: which output each library's trees add up to.

* sklearn DecisionTree / RandomForest / ExtraTrees classifiers: class probabilities (``predict_proba``;
  a forest averages its trees' normalised leaf counts). Regressors: the prediction.
* sklearn GradientBoosting: the raw score of ``decision_function`` (log-odds for binary, one score per
  class for multiclass; ``predict`` for regression): init + learning_rate * sum of trees.
* XGBoost gbtree boosters: the margin (``predict(output_margin=True)``): base score + sum of trees,
  one output per class for multi-class objectives.
Anything else raises ``Unsupported`` (the caller falls back to KernelSHAP).
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, List, Optional

import numpy as np

from ._tree import Tree, TreeEnsemble


class Unsupported(Exception):
    """This model has no exact TreeSHAP adapter."""


def _qualname(model: Any) -> str:
    return f"{type(model).__module__}.{type(model).__name__}"


def _sk_tree(est: Any, value: np.ndarray) -> Tree:
    t = est.tree_
    return Tree(left=t.children_left, right=t.children_right, feature=t.feature, threshold=t.threshold,
                value=value, cover=t.weighted_n_node_samples, rule="le")


def _class_probs(est: Any) -> np.ndarray:
    v = est.tree_.value
    if v.shape[1] != 1:
        raise Unsupported("multi-output classification trees are not supported")
    v = v[:, 0, :]
    s = v.sum(axis=1, keepdims=True)
    return np.divide(v, s, out=np.zeros_like(v), where=s > 0)


def from_sklearn(model: Any) -> TreeEnsemble:
    try:
        from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                                      GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    except ImportError as e:  # pragma: no cover
        raise Unsupported(f"scikit-learn is not importable: {e}") from None
    nf = int(getattr(model, "n_features_in_", 0))
    if isinstance(model, (DecisionTreeClassifier, RandomForestClassifier, ExtraTreesClassifier)):
        ests = [model] if isinstance(model, DecisionTreeClassifier) else list(model.estimators_)
        if getattr(model, "n_outputs_", 1) != 1:
            raise Unsupported("multi-output classifiers are not supported")
        trees = [_sk_tree(e, _class_probs(e) / len(ests)) for e in ests]
        names = [f"P({c})" for c in model.classes_]
        return TreeEnsemble(trees, np.zeros(len(names)), names, "probability", nf)
    if isinstance(model, (DecisionTreeRegressor, RandomForestRegressor, ExtraTreesRegressor)):
        ests = [model] if isinstance(model, DecisionTreeRegressor) else list(model.estimators_)
        k = int(getattr(model, "n_outputs_", 1))
        trees = [_sk_tree(e, e.tree_.value[:, :, 0] / len(ests)) for e in ests]
        names = ["prediction"] if k == 1 else [f"prediction[{j}]" for j in range(k)]
        return TreeEnsemble(trees, np.zeros(k), names, "prediction", nf)
    if isinstance(model, (GradientBoostingClassifier, GradientBoostingRegressor)):
        return _from_gradient_boosting(model, nf)
    raise Unsupported(f"no TreeSHAP adapter for {_qualname(model)}")


def _from_gradient_boosting(model: Any, nf: int) -> TreeEnsemble:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    init = model.init_
    if not (init == "zero" or isinstance(init, (DummyClassifier, DummyRegressor))):
        raise Unsupported(f"GradientBoosting with a custom init estimator ({_qualname(init)}) is not a sum of trees")
    stages = model.estimators_  # (n_estimators, K)
    K = stages.shape[1]
    lr = float(model.learning_rate)
    trees = []
    for row in stages:
        for k, est in enumerate(row):
            value = np.zeros((est.tree_.node_count, K))
            value[:, k] = lr * est.tree_.value[:, 0, 0]
            trees.append(_sk_tree(est, value))
    probe = np.zeros((1, nf))
    # The init term is a constant (zero or a Dummy prior); sklearn computes it in _raw_predict_init.
    offset = np.asarray(model._raw_predict_init(probe), dtype=np.float64)[0]
    if hasattr(model, "classes_"):
        classes = list(model.classes_)
        if K == 1:
            names = [f"log-odds({classes[1]})"]
        else:
            names = [f"score({c})" for c in classes]
        space = "raw"
    else:
        names, space = ["prediction"], "prediction"
    return TreeEnsemble(trees, offset, names, space, nf,
                        notes=["explains decision_function (raw score), not predict_proba"] if space == "raw" else [])


# -- XGBoost ------------------------------------------------------------------------------------------

def booster_json(booster: Any) -> dict:
    try:
        raw = booster.save_raw(raw_format="json")
        return json.loads(bytes(raw).decode("utf-8"))
    except TypeError:  # pragma: no cover - older xgboost: save_raw() has no format argument
        fd, path = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        try:
            booster.save_model(path)
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        finally:
            os.unlink(path)


def booster_objective(booster: Any) -> str:
    try:
        return str(json.loads(booster.save_config())["learner"]["objective"]["name"])
    except Exception:
        return "unknown"


def from_xgboost(booster: Any, classes: Optional[List[Any]] = None) -> TreeEnsemble:
    import xgboost

    model = booster_json(booster)
    learner = model["learner"]
    gb = learner["gradient_booster"]
    if gb.get("name") != "gbtree":
        raise Unsupported(f"XGBoost booster {gb.get('name')!r} is not supported (gbtree only)")
    param = learner["learner_model_param"]
    nf = int(param["num_feature"])
    n_class = int(param.get("num_class", "0"))
    n_target = int(param.get("num_target", "1") or 1)
    K = max(1, n_class, n_target)
    tree_info = gb["model"]["tree_info"]
    trees = []
    for info, t in zip(tree_info, gb["model"]["trees"]):
        if any(int(s) != 0 for s in t.get("split_type", [])):
            raise Unsupported("XGBoost categorical splits are not supported")
        left = np.array(t["left_children"], dtype=np.int64)
        right = np.array(t["right_children"], dtype=np.int64)
        cond = np.array(t["split_conditions"], dtype=np.float32).astype(np.float64)
        value = np.zeros((len(left), K))
        leaf = left < 0
        value[leaf, int(info)] = cond[leaf]
        missing = np.where(np.array(t["default_left"], dtype=bool), left, right)
        trees.append(Tree(left=left, right=right, feature=np.array(t["split_indices"]), threshold=cond,
                          value=value, cover=np.array(t["sum_hessian"], dtype=np.float64), missing=missing, rule="lt"))
    # The base score as a margin (logit for logistic objectives, log for count/gamma...): measured, so
    # no objective's transform has to be known. With no feature used it is the margin of any row.
    probe = np.zeros((1, nf), dtype=np.float32)
    dm = xgboost.DMatrix(probe, feature_names=booster.feature_names, feature_types=booster.feature_types)
    margin = np.asarray(booster.predict(dm, output_margin=True), dtype=np.float64).reshape(1, -1)[0]
    tree_sum = np.zeros(K)
    for t in trees:
        tree_sum += t.predict_row(probe[0].astype(np.float64))
    offset = margin - tree_sum
    objective = learner.get("objective", {}).get("name", "unknown")
    if K > 1 and n_class > 1:
        names = [f"margin({c})" for c in (classes if classes is not None else range(K))]
    elif objective.startswith("binary:"):
        names = [f"log-odds({classes[1] if classes is not None and len(classes) > 1 else 1})"]
    else:
        names = ["margin"] if K == 1 else [f"margin[{j}]" for j in range(K)]
    return TreeEnsemble(trees, offset, names, "margin", nf, notes=[f"explains the XGBoost margin (objective {objective})"])
