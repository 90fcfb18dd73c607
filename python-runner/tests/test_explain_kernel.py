"""KernelSHAP: with every coalition enumerated it equals brute-force interventional Shapley values;
sampled, it keeps local accuracy (the efficiency constraint is enforced)."""
from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVR  # noqa: E402

from mlwb.explain import KernelExplainer, kernel_shap_brute  # noqa: E402
from mlwb.explain._exact import shapley_from_values  # noqa: E402


def test_exact_kernel_equals_brute_force_regression():
    X, y = load_diabetes(return_X_y=True)
    X = X[:, :8]
    model = SVR(C=10).fit(X, y)
    bg = X[:25]
    kx = KernelExplainer(model.predict, bg)
    assert kx.exact
    rows = X[200:205]
    phi = kx.shap_values(rows)
    for r, x in enumerate(rows):
        brute, v_empty = kernel_shap_brute(model.predict, x, bg)
        np.testing.assert_allclose(phi[r], brute, rtol=0, atol=1e-9)
        np.testing.assert_allclose(kx.expected_value, v_empty, atol=1e-9)


def test_exact_kernel_equals_brute_force_per_class():
    X, y = load_wine(return_X_y=True)
    X = X[:, :7]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    bg = X[::12]
    kx = KernelExplainer(model.predict_proba, bg)
    phi = kx.shap_values(X[:4])
    assert phi.shape == (4, 7, 3)
    for r in range(4):
        np.testing.assert_allclose(phi[r], kernel_shap_brute(model.predict_proba, X[r], bg)[0], atol=1e-9)
    np.testing.assert_allclose(kx.expected_value[None] + phi.sum(1), model.predict_proba(X[:4]), atol=1e-9)


def test_sampled_kernel_local_accuracy_and_closeness():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    kx = KernelExplainer(model.predict_proba, X[:20], nsamples=3000)
    assert not kx.exact
    phi = kx.shap_values(X[:3])
    np.testing.assert_allclose(kx.expected_value[None] + phi.sum(1), model.predict_proba(X[:3]), atol=1e-9)


def test_sampled_kernel_close_to_exact_on_12_features():
    X, y = load_diabetes(return_X_y=True)
    X = np.hstack([X, X[:, :2] ** 2])  # 12 features
    model = KNeighborsRegressor(5).fit(X, y)
    bg = X[:10]
    exact = KernelExplainer(model.predict, bg).shap_values(X[300:302])
    sampled = KernelExplainer(model.predict, bg, nsamples=2000, max_exact=10).shap_values(X[300:302])
    scale = np.abs(exact).max()
    assert np.abs(sampled - exact).max() < 0.05 * scale


def test_shapley_from_values_simple_game():
    # v(S) = |S|^2 on 3 symmetric players: each gets v(N)/3 = 3
    V = np.array([[bin(s).count("1") ** 2] for s in range(8)], dtype=float)
    np.testing.assert_allclose(shapley_from_values(V)[:, 0], [3, 3, 3])
