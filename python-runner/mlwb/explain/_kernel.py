"""KernelSHAP (Lundberg & Lee 2017): Shapley values as the weighted least-squares fit of
v(z) = phi_0 + z . phi over coalitions z, with the Shapley kernel weights
pi(z) = (M-1) / (C(M,|z|) |z| (M-|z|)), phi_0 = v(empty) and sum(phi) = v(full) - v(empty) enforced.

The value function is interventional: v(z) = mean over background rows b of f(x where z, b elsewhere).
With every coalition enumerated (M <= ``max_exact``) the fit is exact: it equals the brute-force
Shapley values. Otherwise coalitions are sampled as the shap library does: whole subset sizes are
enumerated from the outside in (sizes 1 and M-1 first) while the budget allows, the rest sampled in
complementary pairs.
"""
from __future__ import annotations

from itertools import combinations
from math import comb
from typing import Callable, Optional, Tuple

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]
MAX_EXACT = 12
MAX_BATCH_ROWS = 50_000


def coalitions(M: int, nsamples: int, rng: np.random.Generator, max_exact: int = MAX_EXACT) -> Tuple[np.ndarray, np.ndarray, bool]:
    """(Z (n, M) bool, weights (n,), exact) over coalitions other than the empty and full ones."""
    if M <= 1:
        return np.zeros((0, M), dtype=bool), np.zeros(0), True
    size_w = np.array([(M - 1) / (s * (M - s)) for s in range(1, M)])  # total kernel weight of each size
    if M <= max_exact:
        Z, W = [], []
        for s in range(1, M):
            for idx in combinations(range(M), s):
                z = np.zeros(M, dtype=bool)
                z[list(idx)] = True
                Z.append(z)
                W.append(size_w[s - 1] / comb(M, s))
        return np.array(Z), np.array(W), True
    Z, W = [], []
    budget = nsamples
    weight_left = 1.0
    probs = size_w / size_w.sum()
    sizes_left = list(range(1, M))
    for s in range(1, (M + 1) // 2 + (M % 2 == 0)):
        pair = s != M - s
        count = comb(M, s) * (2 if pair else 1)
        mass = probs[s - 1] * (2 if pair else 1)
        if count > budget or mass <= 0:
            break
        for idx in combinations(range(M), s):
            for sub in ([idx, tuple(j for j in range(M) if j not in idx)] if pair else [idx]):
                z = np.zeros(M, dtype=bool)
                z[list(sub)] = True
                Z.append(z)
                W.append(probs[s - 1] / comb(M, s))
        budget -= count
        weight_left -= mass
        sizes_left = [t for t in sizes_left if t not in (s, M - s)]
    if sizes_left and budget >= 2 and weight_left > 1e-12:
        p = np.array([probs[t - 1] for t in sizes_left])
        p = p / p.sum()
        n_pairs = budget // 2
        picked = rng.choice(sizes_left, size=n_pairs, p=p)
        each = weight_left / (2 * n_pairs)
        for s in picked:
            z = np.zeros(M, dtype=bool)
            z[rng.choice(M, size=s, replace=False)] = True
            Z.extend([z, ~z])
            W.extend([each, each])
    return np.array(Z), np.array(W), False


def _solve(Z: np.ndarray, W: np.ndarray, y: np.ndarray, v0: np.ndarray, v1: np.ndarray) -> np.ndarray:
    """phi (M, outputs) minimising sum W (y - v0 - Z phi)^2 subject to sum(phi) = v1 - v0."""
    M = Z.shape[1]
    total = v1 - v0  # (outputs,)
    if M == 1:
        return total[None, :]
    Zf = Z.astype(np.float64)
    # Eliminate the last feature: phi_M = total - sum(phi_1..M-1).
    A = Zf[:, :-1] - Zf[:, -1:]
    b = y - v0[None, :] - Zf[:, -1:] * total[None, :]
    Aw = A * W[:, None]
    phi_head = np.linalg.solve(A.T @ Aw, Aw.T @ b) if np.linalg.matrix_rank(A.T @ Aw) == M - 1 else \
        np.linalg.lstsq(A * np.sqrt(W)[:, None], b * np.sqrt(W)[:, None], rcond=None)[0]
    return np.vstack([phi_head, total[None, :] - phi_head.sum(axis=0, keepdims=True)])


class KernelExplainer:
    """``shap_values(X)`` -> (rows, features, outputs); ``predict`` maps (n, M) arrays to (n, outputs)."""

    def __init__(self, predict: Predict, background: np.ndarray, nsamples: Optional[int] = None,
                 max_exact: int = MAX_EXACT, seed: int = 0) -> None:
        self.predict = predict
        self.background = background
        self.M = background.shape[1]
        self.nsamples = nsamples or 2 * self.M + 2048
        self.rng = np.random.default_rng(seed)
        self.Z, self.W, self.exact = coalitions(self.M, self.nsamples, self.rng, max_exact)
        out = self._f(background)
        self.expected_value = out.mean(axis=0)

    def _f(self, data: np.ndarray) -> np.ndarray:
        out = np.asarray(self.predict(data), dtype=np.float64)
        return out.reshape(data.shape[0], -1)

    def _values(self, x: np.ndarray) -> np.ndarray:
        """v(z) for every coalition: (n_coalitions, outputs)."""
        nb = self.background.shape[0]
        per = max(1, MAX_BATCH_ROWS // nb)
        parts = []
        for a in range(0, len(self.Z), per):
            Z = self.Z[a: a + per]
            data = np.where(Z[:, None, :], x[None, None, :], self.background[None, :, :])
            parts.append(self._f(data.reshape(-1, self.M)).reshape(len(Z), nb, -1).mean(axis=1))
        return np.vstack(parts) if parts else np.zeros((0, len(self.expected_value)))

    def explain_row(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        fx = self._f(x[None, :])[0]
        y = self._values(x)
        return _solve(self.Z, self.W, y, self.expected_value, fx)

    def shap_values(self, X: np.ndarray, on_row: Optional[Callable[[int], None]] = None) -> np.ndarray:
        out = np.zeros((X.shape[0], self.M, len(self.expected_value)))
        for r in range(X.shape[0]):
            out[r] = self.explain_row(X[r])
            if on_row is not None:
                on_row(r + 1)
        return out
