"""Exact TreeSHAP: local accuracy on real datasets, and equality with brute-force Shapley values
computed with the same (path-dependent) value function, and with Algorithm 2 as published."""
from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from sklearn import datasets  # noqa: E402
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,  # noqa: E402
                              GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

from mlwb.explain import TreeExplainer, from_sklearn, from_xgboost, tree_shap_brute, tree_shap_reference_ensemble  # noqa: E402

TOL = 1e-6


def data(name: str, n_features: int = 0):
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return (X[:, :n_features] if n_features else X), y


def output(model, X):
    if hasattr(model, "decision_function") and type(model).__name__.startswith("GradientBoosting"):
        return np.asarray(model.decision_function(X)).reshape(len(X), -1)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return np.asarray(model.predict(X)).reshape(len(X), -1)


def assert_local_accuracy(ensemble, X, expected_output):
    ex = TreeExplainer(ensemble)
    phi = ex.shap_values(X)
    assert phi.shape == (X.shape[0], X.shape[1], expected_output.shape[1])
    err = np.abs(ex.expected_value[None, :] + phi.sum(axis=1) - expected_output).max()
    assert err < TOL, err
    return phi, ex


SKLEARN_CASES = [
    ("dt-clf-iris", lambda: DecisionTreeClassifier(random_state=0), "iris", 3),
    ("dt-reg-diabetes", lambda: DecisionTreeRegressor(max_depth=8, random_state=0), "diabetes", 1),
    ("rf-clf-breast_cancer", lambda: RandomForestClassifier(50, random_state=0), "breast_cancer", 2),
    ("rf-reg-diabetes", lambda: RandomForestRegressor(50, random_state=0), "diabetes", 1),
    ("et-clf-wine", lambda: ExtraTreesClassifier(50, random_state=0), "wine", 3),
    ("et-reg-diabetes", lambda: ExtraTreesRegressor(30, random_state=0), "diabetes", 1),
    ("gb-binary-breast_cancer", lambda: GradientBoostingClassifier(n_estimators=60, random_state=0), "breast_cancer", 1),
    ("gb-multiclass-wine", lambda: GradientBoostingClassifier(n_estimators=40, subsample=0.8, random_state=0), "wine", 3),
    ("gb-multiclass-iris", lambda: GradientBoostingClassifier(n_estimators=30, max_depth=4, random_state=0), "iris", 3),
    ("gb-reg-diabetes", lambda: GradientBoostingRegressor(n_estimators=80, learning_rate=0.05, random_state=0), "diabetes", 1),
    ("gb-reg-zero-init", lambda: GradientBoostingRegressor(n_estimators=20, init="zero", random_state=0), "diabetes", 1),
]


@pytest.mark.parametrize("name,make,dataset,n_out", SKLEARN_CASES, ids=[c[0] for c in SKLEARN_CASES])
def test_local_accuracy_sklearn(name, make, dataset, n_out):
    X, y = data(dataset)
    model = make().fit(X, y)
    ens = from_sklearn(model)
    assert ens.n_outputs == n_out
    assert_local_accuracy(ens, X, output(model, X))


def test_output_spaces_are_explicit():
    X, y = data("breast_cancer")
    gb = from_sklearn(GradientBoostingClassifier(n_estimators=5).fit(X, y))
    assert gb.space == "raw" and gb.output_names == ["log-odds(1)"]
    rf = from_sklearn(RandomForestClassifier(5).fit(X, y))
    assert rf.space == "probability" and rf.output_names == ["P(0)", "P(1)"]
    Xd, yd = data("diabetes")
    assert from_sklearn(GradientBoostingRegressor(n_estimators=5).fit(Xd, yd)).space == "prediction"


BRUTE_CASES = [
    ("dt-clf", lambda: DecisionTreeClassifier(max_depth=6, random_state=0), "wine", 8),
    ("dt-reg", lambda: DecisionTreeRegressor(max_depth=7, random_state=0), "diabetes", 8),
    ("rf-clf", lambda: RandomForestClassifier(8, max_depth=5, random_state=0), "breast_cancer", 7),
    ("rf-reg", lambda: RandomForestRegressor(8, max_depth=6, random_state=0), "diabetes", 8),
    ("et-clf", lambda: ExtraTreesClassifier(8, max_depth=6, random_state=0), "iris", 4),
    ("gb-multi", lambda: GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=0), "wine", 6),
    ("gb-binary", lambda: GradientBoostingClassifier(n_estimators=10, max_depth=4, random_state=0), "breast_cancer", 8),
]


@pytest.mark.parametrize("name,make,dataset,k", BRUTE_CASES, ids=[c[0] for c in BRUTE_CASES])
def test_equals_brute_force_and_algorithm_2(name, make, dataset, k):
    X, y = data(dataset, k)
    model = make().fit(X, y)
    ens = from_sklearn(model)
    ex = TreeExplainer(ens)
    rows = X[:: max(1, len(X) // 6)][:6]
    phi = ex.shap_values(rows)
    for r, x in enumerate(rows):
        brute, v_empty = tree_shap_brute(ens, x)
        np.testing.assert_allclose(phi[r], brute, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ex.expected_value, v_empty, rtol=0, atol=1e-10)
    np.testing.assert_allclose(phi, tree_shap_reference_ensemble(ens, rows), rtol=0, atol=1e-10)


def test_repeated_feature_on_a_path_and_stumps():
    """A hand-made tree splitting twice on feature 0 (Algorithm 2's UNWIND case), plus a one-leaf tree."""
    from mlwb.explain import Tree, TreeEnsemble

    t = Tree(left=[1, 3, -1, 5, -1, -1, -1], right=[2, 4, -1, 6, -1, -1, -1],
             feature=[0, 1, 0, 0, 0, 0, 0], threshold=[0.5, 0.3, 0, 0.2, 0, 0, 0],
             value=[[0], [0], [4.0], [0], [-1.0], [2.0], [7.0]], cover=[10, 6, 4, 4, 2, 1, 3])
    stump = Tree(left=[-1], right=[-1], feature=[0], threshold=[0], value=[[1.5]], cover=[10])
    ens = TreeEnsemble([t, stump], np.array([0.25]), ["y"], "prediction", 2)
    ex = TreeExplainer(ens)
    X = np.array([[0.1, 0.1], [0.3, 0.1], [0.4, 0.9], [0.9, 0.0]])
    phi = ex.shap_values(X)
    np.testing.assert_allclose(ex.expected_value[None] + phi.sum(1), ens.predict(X), atol=1e-12)
    for r in range(len(X)):
        np.testing.assert_allclose(phi[r], tree_shap_brute(ens, X[r])[0], atol=1e-12)
    np.testing.assert_allclose(phi, tree_shap_reference_ensemble(ens, X), atol=1e-12)


def _xgb():
    return pytest.importorskip("xgboost")


def _margin(booster, X):
    import xgboost

    return np.asarray(booster.predict(xgboost.DMatrix(X), output_margin=True)).reshape(len(X), -1)


@pytest.mark.parametrize("kind", ["reg", "binary", "multiclass"])
def test_xgboost_local_accuracy_and_brute_force(kind):
    xgboost = _xgb()
    if kind == "reg":
        X, y = data("diabetes")
        model = xgboost.XGBRegressor(n_estimators=60, max_depth=4, learning_rate=0.1, base_score=150.0, n_jobs=1)
    elif kind == "binary":
        X, y = data("breast_cancer")
        model = xgboost.XGBClassifier(n_estimators=50, max_depth=3, n_jobs=1)
    else:
        X, y = data("iris")
        model = xgboost.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1)
    X = X.copy()
    X[::7, 1] = np.nan  # missing values take each split's default direction
    model.fit(X, y)
    booster = model.get_booster()
    ens = from_xgboost(booster, list(getattr(model, "classes_", [])) or None)
    assert ens.space == "margin" and ens.n_outputs == (3 if kind == "multiclass" else 1)
    # XGBoost sums its float32 leaf values in float32: its margin carries float32 rounding (~1e-4 on a
    # margin of 150). Local accuracy is exact against the same trees summed in float64, and that sum
    # agrees with XGBoost's margin to float32 precision.
    X = X[:150]
    phi, ex = assert_local_accuracy(ens, X, ens.predict(X))  # ens.predict walks the trees in float64
    margin = _margin(booster, X)
    np.testing.assert_allclose(ex.expected_value + phi.sum(1), margin, rtol=2e-6, atol=2e-6)
    # brute force on a small booster (8 features)
    Xs = X[:, :8] if X.shape[1] >= 8 else X
    small = type(model)(n_estimators=6, max_depth=4, n_jobs=1).fit(Xs, y[:150])
    ens_s = from_xgboost(small.get_booster())
    ex = TreeExplainer(ens_s)
    rows = Xs[:5]
    phi = ex.shap_values(rows)
    for r in range(len(rows)):
        np.testing.assert_allclose(phi[r], tree_shap_brute(ens_s, rows[r])[0], atol=1e-9)
    np.testing.assert_allclose(phi, tree_shap_reference_ensemble(ens_s, rows), atol=1e-9)


@pytest.mark.parametrize("kind", ["reg", "binary", "multiclass"])
def test_xgboost_agrees_with_its_own_pred_contribs(kind):
    """XGBoost's C++ TreeSHAP (predict(pred_contribs=True)) on the same booster and rows, NaNs included."""
    xgboost = _xgb()
    X, y = data({"reg": "diabetes", "binary": "breast_cancer", "multiclass": "wine"}[kind])
    X = X.copy()
    X[::5, 2] = np.nan
    make = xgboost.XGBRegressor if kind == "reg" else xgboost.XGBClassifier
    model = make(n_estimators=40, max_depth=6, learning_rate=0.2, n_jobs=1).fit(X, y)
    booster = model.get_booster()
    ex = TreeExplainer(from_xgboost(booster))
    phi = ex.shap_values(X)
    theirs = booster.predict(xgboost.DMatrix(X), pred_contribs=True)
    theirs = theirs.reshape(len(X), -1, X.shape[1] + 1)  # (rows, outputs, features + bias)
    # XGBoost works in float32: agreement to its rounding at the margin's scale
    tol = 1e-5 * max(1.0, float(np.abs(_margin(booster, X)).max()) / 10)
    np.testing.assert_allclose(phi.transpose(0, 2, 1), theirs[:, :, :-1], rtol=0, atol=tol)
    np.testing.assert_allclose(ex.expected_value, theirs[0, :, -1], rtol=0, atol=tol)


SETTINGS = {  # (TABLE_ROWS, MAX_TABLE_K, TABLE_BYTES, BATCH_NODES, DENSE_COLUMNS, TWIN_TABLES)
    "tables": (1e9, 12, 32 << 20, 4096, 64, True),
    "tables-one-per-leaf": (1e9, 12, 32 << 20, 4096, 64, False),
    "polynomials": (1e9, 0, 32 << 20, 4096, 0, True),
    "small-tables-and-batches-by-feature": (1e9, 12, 4096, 1, 0, True),
}


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_tables_and_polynomials_give_the_same_exact_values(setting, monkeypatch):
    """Whichever way each leaf is evaluated, values summed by feature and trees batched, brute force agrees."""
    from mlwb.explain import _treeshap

    for name, value in zip(("TABLE_ROWS", "MAX_TABLE_K", "TABLE_BYTES", "BATCH_NODES", "DENSE_COLUMNS", "TWIN_TABLES"),
                           SETTINGS[setting]):
        monkeypatch.setattr(_treeshap, name, value)
    X, y = data("diabetes", 8)
    forest = from_sklearn(RandomForestRegressor(6, max_depth=9, random_state=0).fit(X, y))  # repeated features
    rows = X[:4]
    phi = TreeExplainer(forest).shap_values(rows)
    for r in range(len(rows)):
        np.testing.assert_allclose(phi[r], tree_shap_brute(forest, rows[r])[0], rtol=0, atol=1e-10)
    xgboost = _xgb()
    Xn = X.copy()
    Xn[::3, 0] = np.nan
    booster = xgboost.XGBClassifier(n_estimators=8, max_depth=5, n_jobs=1).fit(Xn, (y > 140).astype(int)).get_booster()
    ens = from_xgboost(booster)
    phi = TreeExplainer(ens).shap_values(Xn[:6])
    for r in range(6):
        np.testing.assert_allclose(phi[r], tree_shap_brute(ens, Xn[r])[0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", ["multiclass-xgboost", "gradient-boosting", "forest-classes"])
def test_twin_leaves_share_a_table_and_stay_exact(kind):
    """A split's two leaves share one table (indexed by the parent's mask and the decision) when their values
    lie in one output column: XGBoost multiclass and sklearn boosting (a tree per class) do, a forest's class
    probabilities do not (each leaf keeps its table)."""
    from mlwb.explain import _treeshap

    X, y = data("wine", 10)
    if kind == "multiclass-xgboost":
        ens = from_xgboost(_xgb().XGBClassifier(n_estimators=6, max_depth=4, n_jobs=1).fit(X, y).get_booster())
    elif kind == "gradient-boosting":
        ens = from_sklearn(GradientBoostingClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X, y))
    else:
        ens = from_sklearn(RandomForestClassifier(4, max_depth=5, random_state=0).fit(X, y))
    ex = TreeExplainer(ens)
    rows = X[:3]
    phi = ex.shap_values(rows)
    plans = [ex._plan(i, _treeshap.table_k(len(rows))) for i in range(len(ex.batches))]
    twins = sum(len(p.unit_node) - p.n_single for p in plans)
    assert (twins == 0) if kind == "forest-classes" else twins > 0
    for r in range(len(rows)):
        np.testing.assert_allclose(phi[r], tree_shap_brute(ens, rows[r])[0], rtol=0, atol=1e-10)


def test_nan_where_a_tree_cannot_route_it_is_an_error():
    X, y = data("diabetes", 4)
    ens = from_sklearn(DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y))
    X = X[:3].copy()
    X[1, int(ens.trees[0].feature[0])] = np.nan
    with pytest.raises(ValueError, match="missing value"):
        TreeExplainer(ens).shap_values(X)


def test_progress_counts_rows_up_to_all_of_them(monkeypatch):
    from mlwb.explain import _treeshap

    monkeypatch.setattr(_treeshap, "BATCH_NODES", 50)
    monkeypatch.setattr(_treeshap, "CHUNK_BYTES", 1 << 14)
    X, y = data("breast_cancer")
    ens = from_sklearn(RandomForestClassifier(10, max_depth=6, random_state=0).fit(X, y))
    seen = []
    TreeExplainer(ens).shap_values(X, on_chunk=seen.append)
    assert len(seen) > 3 and seen == sorted(seen) and seen[-1] == len(X)
