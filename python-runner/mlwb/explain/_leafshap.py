"""Shapley values of one leaf's product game, two exact ways (the formulas are in ``_treeshap.py``).

* ``leaf_tables``: every slot's value for all 2^k masks of satisfied slots (Fast TreeSHAP v2's
  precomputation), O(2^k k) per leaf, no division: built from the elementary symmetric polynomials of
  the zero fractions of every subset, one bit at a time.
* ``polynomial_values``: for given rows, G(t) = prod_j (z_j + o_j t) in O(k^2) per leaf and row
  (Algorithm 2's EXTEND); dividing out slot i needs no division either since o_i is 0 or 1.
"""
from __future__ import annotations

from math import comb

import numpy as np



def shapley_weights(k: int) -> np.ndarray:
    """w(s, k) = s!(k-s-1)!/k! = 1 / (k * C(k-1, s)) for s = 0..k-1."""
    return np.array([1.0 / (k * comb(k - 1, s)) for s in range(k)], dtype=np.float64)


def popcount(m: np.ndarray) -> np.ndarray:
    m = m.copy()
    out = np.zeros_like(m)
    while m.any():
        out += m & 1
        m >>= 1
    return out


def leaf_tables(z: np.ndarray) -> np.ndarray:
    """z (L, k) zero fractions -> (L, 2^k, k): entry [l, M, j] is slot j's Shapley value over leaf l's
    value when the row satisfies exactly the slots in bitmask M:
    -Z(not M) T(M) if j is not in M, (1 - z_j) Z(not M) T(M - j) if it is."""
    L, k = z.shape
    S = 1 << k
    zt = np.ascontiguousarray(z.T)
    # E[A, m] = e_m(z_A), the elementary symmetric polynomials of the subset A; Zall[A] = prod z_A
    E = np.empty((S, k + 1, L))
    E[0, 0] = 1.0
    E[0, 1:] = 0.0
    Zall = np.empty((S, L))
    Zall[0] = 1.0
    for b in range(k):  # the subsets whose highest bit is b, from those below it
        lo, hi = 1 << b, 2 << b
        E[lo:hi, b + 1:] = 0.0
        E[lo:hi, :b + 1] = E[:lo, :b + 1]
        E[lo:hi, 1:b + 2] += E[:lo, :b + 1] * zt[b]
        np.multiply(Zall[:lo], zt[b], out=Zall[lo:hi])
    M = np.arange(S)
    w = shapley_weights(k)
    Wc = np.zeros((k + 1, k + 1))  # T(A) = sum_m w(|A| - m) e_m(z_A), |A| <= k - 1
    for c in range(k):
        Wc[c, :c + 1] = w[c::-1]
    T = np.ascontiguousarray(np.einsum("amL,am->La", E, Wc[popcount(M)]))  # (L, S)
    bits = 1 << np.arange(k)
    out = np.take(T, M[:, None] ^ bits[None, :], axis=1)  # (L, S, k): T(M - j) where j is in M
    out *= (1.0 - z)[:, None, :]
    np.copyto(out, -T[:, :, None], where=((M[:, None] & bits[None, :]) == 0)[None])
    out *= Zall[(S - 1) ^ M].T[:, :, None]
    return out


def h_table(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """H[l, i, m] = sum_{s<m} w(s) (-z_li)^(m-1-s), m = 0..k (so that w . (G / (z_i + t)) = G . H_i)."""
    L, k = z.shape
    H = np.zeros((L, k, k + 1))
    for m in range(k):
        H[:, :, m + 1] = w[m] - z * H[:, :, m]
    return H


def polynomial_values(o: np.ndarray, z: np.ndarray, H: np.ndarray, w: np.ndarray) -> np.ndarray:
    """o (L, k, n) bool: which slots each row satisfies -> (L, k, n) Shapley values over the leaf's value."""
    L, k, n = o.shape
    G = np.zeros((k + 1, L, n))  # G[s]: coefficient of t^s in prod_j (z_j + o_j t)
    G[0] = 1.0
    for j in range(k):
        top = G[: j + 1] * o[:, j]
        G[: j + 2] *= z[:, j, None]
        G[1: j + 2] += top
    off = -np.tensordot(w, G[:k], axes=(0, 0))  # (L, n): each slot with o = 0 gets this
    # (L, k, k+1) @ (L, k+1, n): sum_m H_i[m] G[m] for every slot i (its o = 1 case)
    on = np.matmul(H, np.ascontiguousarray(G.transpose(1, 0, 2)))
    on *= (1.0 - z)[:, :, None]
    np.copyto(on, off[:, None, :], where=~o)
    return on
