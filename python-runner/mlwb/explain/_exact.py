"""Brute-force exact Shapley values: sum over every subset S of the features of
|S|!(M-|S|-1)!/M! (v(S + i) - v(S)). Exponential in M: for tests and the bench baseline only.

Two value functions, the ones the fast explainers use:
* ``tree_values``: the path-dependent conditional expectation E[f(x) | x_S] of a tree ensemble,
  by tree traversal (Algorithm 1 of Lundberg et al. 2018: a split on a feature in S follows x, any
  other split takes both children weighted by their cover). Vectorised over all subsets at once.
* ``interventional_values``: E_b[f(x_S, b_rest)] over a background sample b (what KernelSHAP uses).
"""
from __future__ import annotations

from math import factorial
from typing import Callable, Tuple

import numpy as np

from ._tree import TreeEnsemble, as_float32

MAX_FEATURES = 16


def subset_masks(M: int) -> np.ndarray:
    """(2^M, M) bool: row s is the subset whose bit j says feature j is in it."""
    if M > MAX_FEATURES:
        raise ValueError(f"brute force over 2^{M} subsets is not feasible (at most {MAX_FEATURES} features)")
    return ((np.arange(1 << M)[:, None] >> np.arange(M)[None, :]) & 1).astype(bool)


def shapley_from_values(V: np.ndarray) -> np.ndarray:
    """Shapley values (M, outputs) from a value for every subset V (2^M, outputs)."""
    n_sub = V.shape[0]
    M = n_sub.bit_length() - 1
    sizes = np.array([bin(s).count("1") for s in range(n_sub)])
    weight = np.array([factorial(s) * factorial(M - s - 1) / factorial(M) if s < M else 0.0 for s in range(M + 1)])
    phi = np.zeros((M, V.shape[1]))
    idx = np.arange(n_sub)
    for i in range(M):
        without = idx[(idx >> i) & 1 == 0]
        phi[i] = (weight[sizes[without]][:, None] * (V[without | (1 << i)] - V[without])).sum(axis=0)
    return phi


def tree_values(ensemble: TreeEnsemble, x: np.ndarray) -> np.ndarray:
    """v(S) = E[f(x) | x_S] (path-dependent) for every subset S: (2^M, outputs)."""
    x = as_float32(np.asarray(x)[None])[0]
    masks = subset_masks(ensemble.n_features)
    V = np.tile(ensemble.offset, (masks.shape[0], 1)).astype(np.float64)
    for tree in ensemble.trees:
        stack = [(0, np.ones(masks.shape[0]))]
        while stack:
            node, w = stack.pop()
            if tree.is_leaf(node):
                V += w[:, None] * tree.value[node][None, :]
                continue
            f = int(tree.feature[node])
            left, right = int(tree.left[node]), int(tree.right[node])
            hot, cold = (left, right) if tree.goes_left(node, x[f]) else (right, left)
            known = masks[:, f]
            r = tree.cover[node]
            w_hot = w * np.where(known, 1.0, tree.cover[hot] / r)
            w_cold = w * np.where(known, 0.0, tree.cover[cold] / r)
            if w_hot.any():
                stack.append((hot, w_hot))
            if w_cold.any():
                stack.append((cold, w_cold))
    return V


def tree_shap_brute(ensemble: TreeEnsemble, x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(phi (M, outputs), v(empty set)) by brute force with the path-dependent value function."""
    V = tree_values(ensemble, x)
    return shapley_from_values(V), V[0]


def interventional_values(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, background: np.ndarray) -> np.ndarray:
    """v(S) = mean over background rows b of f(x on S, b elsewhere): (2^M, outputs)."""
    masks = subset_masks(background.shape[1])
    data = np.where(masks[:, None, :], np.asarray(x)[None, None, :], background[None, :, :])
    out = np.asarray(f(data.reshape(-1, background.shape[1])), dtype=np.float64)
    out = out.reshape(masks.shape[0], background.shape[0], -1)
    return out.mean(axis=1)


def kernel_shap_brute(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, background: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    V = interventional_values(f, x, background)
    return shapley_from_values(V), V[0]
