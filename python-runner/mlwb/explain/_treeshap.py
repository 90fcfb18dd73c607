"""Exact path-dependent TreeSHAP (Lundberg et al. 2018, "Consistent individualized feature attribution
for tree ensembles", Algorithm 2), in two implementations that compute the same numbers:

* ``tree_shap_reference``: Algorithm 2 as published (EXTEND / UNWIND over the path of unique
  features), pure Python, one row and one tree at a time. The reference the fast one is tested against.
* ``tree_shap``: the same values, vectorised over rows and over all the leaves of the ensemble.
  For a leaf with value v reached through distinct features P (|P| = k), the path-dependent value
  function is v * prod_{j in P} (o_j if j in S else z_j), a product game whose Shapley values are
  phi_i = v (o_i - z_i) sum_s w(s, k) [t^s] prod_{j != i} (z_j + o_j t),   w(s, k) = s!(k-s-1)!/k!
  Algorithm 2's EXTEND builds that polynomial (its path weights are these coefficients times w), and
  UNWIND divides one factor out. Here the product G(t) = prod_j (z_j + o_j t) is built once per leaf
  and row; since o_i is 0 or 1, dividing out feature i needs no division: if o_i = 0 then
  phi_i = -v (w . G); if o_i = 1 then phi_i = v (1 - z_i) sum_m G[m] H_i[m], where H_i depends on z_i
  only (H[m+1] = w(m) - z_i H[m]) and is precomputed per leaf. Everything is additive over leaves,
  so the leaves of all trees are processed together, grouped by k.

Local accuracy holds by construction: sum_i phi_i = sum_leaves v (prod o - prod z) = f(x) - E[f].
"""
from __future__ import annotations

from math import comb
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from ._tree import PathGroup, PathTable, Tree, TreeEnsemble, as_float32, path_table

CHUNK_ELEMENTS = 1 << 21  # rows x leaves x (k+1) floats per step: ~16 MB per array


def shapley_weights(k: int) -> np.ndarray:
    """w(s, k) = s!(k-s-1)!/k! = 1 / (k * C(k-1, s)) for s = 0..k-1."""
    return np.array([1.0 / (k * comb(k - 1, s)) for s in range(k)], dtype=np.float64)


def _h_table(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """H[l, i, m] = sum_{s<m} w(s) (-z_li)^(m-1-s), m = 0..k (so that w . (G / (z + t)) = G . H)."""
    L, k = z.shape
    H = np.zeros((L, k, k + 1))
    for m in range(k):
        H[:, :, m + 1] = w[m] - z * H[:, :, m]
    return H


def _one_fractions(g: PathGroup, XT: np.ndarray) -> np.ndarray:
    """o[j, l, r] (1.0 or 0.0): does row r satisfy every split on path feature j of leaf l.
    ``XT`` is the inputs transposed (features, rows)."""
    xv = XT[g.feature.T]  # (k, L, n)
    lo, hi = g.lo.T[:, :, None], g.hi.T[:, :, None]
    if g.strict.all():
        o = (xv >= lo) & (xv < hi)
    elif not g.strict.any():
        o = (xv > lo) & (xv <= hi)
    else:
        strict = g.strict[None, :, None]
        o = np.where(strict, xv >= lo, xv > lo) & np.where(strict, xv < hi, xv <= hi)
    nan = np.isnan(xv)
    if nan.any():
        o = np.where(nan, g.nan_ok.T[:, :, None], o)
    return o.astype(np.float64)


def _group_phi(g: PathGroup, XT: np.ndarray, H: np.ndarray, w: np.ndarray, phi: np.ndarray) -> None:
    """Add the contributions of one group's leaves for the rows of ``XT`` (features, rows) into
    ``phi`` (rows, features, outputs). Arrays are laid out (coefficient or slot, leaf, row)."""
    n = XT.shape[1]
    L, k = g.z.shape
    o = _one_fractions(g, XT)  # (k, L, n)
    z = g.z.T[:, :, None]  # (k, L, 1)
    G = np.zeros((k + 1, L, n))  # G[s]: coefficient of t^s in prod_j (z_j + o_j t)
    G[0] = 1.0
    for j in range(k):
        top = G[: j + 1] * o[j]
        G[: j + 2] *= z[j]
        G[1: j + 2] += top
    off = -np.tensordot(w, G[:k], axes=(0, 0))  # (L, n): each feature with o = 0 gets this
    # (L, k, k+1) @ (L, k+1, n) -> (L, k, n): sum_m H_i[m] G[m] for every slot i (its o = 1 case)
    on = np.matmul(H, np.ascontiguousarray(G.transpose(1, 0, 2))) * (1.0 - g.z)[:, :, None]
    coef = np.where(o.transpose(1, 0, 2) > 0, on, off[:, None, :]).reshape(L * k, n)
    # phi[r, f, c] += sum over (leaf l, slot i) with feature f of coef[l, i, r] * value[l, c]
    flat_f = g.feature.reshape(-1)
    order = np.argsort(flat_f, kind="stable")
    sorted_f = flat_f[order]
    starts = np.flatnonzero(np.r_[True, sorted_f[1:] != sorted_f[:-1]])
    feats = sorted_f[starts]
    coef = coef[order]
    vals = np.repeat(g.value, k, axis=0)[order]  # (L*k, outputs)
    for c in range(g.value.shape[1]):
        phi[:, feats, c] += np.add.reduceat(coef * vals[:, c, None], starts, axis=0).T


class TreeExplainer:
    """Exact path-dependent TreeSHAP for a ``TreeEnsemble``: ``shap_values(X)`` -> (n, features, outputs)."""

    def __init__(self, ensemble: TreeEnsemble) -> None:
        self.ensemble = ensemble
        self.table: PathTable = path_table(ensemble)
        self.expected_value = self.table.expected
        self._w = {g.k: shapley_weights(g.k) for g in self.table.groups}
        self._H = [_h_table(g.z, self._w[g.k]) for g in self.table.groups]

    def shap_values(self, X: np.ndarray, on_chunk: Optional[Callable[[int], None]] = None) -> np.ndarray:
        XT = np.ascontiguousarray(as_float32(X).T)
        n = XT.shape[1]
        phi = np.zeros((n, self.ensemble.n_features, self.table.n_outputs))
        width = max((len(g.z) * (g.k + 1) for g in self.table.groups), default=1)
        step = max(1, CHUNK_ELEMENTS // width)
        for a in range(0, n, step):
            XTa = XT[:, a: a + step]
            part = phi[a: a + step]
            for g, H in zip(self.table.groups, self._H):
                _group_phi(g, XTa, H, self._w[g.k], part)
            if on_chunk is not None:
                on_chunk(min(n, a + step))
        return phi

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The model output from the path table (prod of one fractions): equals the trees' output."""
        XT = np.ascontiguousarray(as_float32(X).T)
        out = np.tile(self.table.constant, (XT.shape[1], 1))
        for g in self.table.groups:
            reach = _one_fractions(g, XT).prod(axis=0)  # (L, n)
            out += reach.T @ g.value
        return out


def tree_shap(ensemble: TreeEnsemble, X: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(shap values (n, features, outputs), expected value (outputs,))."""
    ex = TreeExplainer(ensemble)
    return ex.shap_values(X), ex.expected_value


# -- Algorithm 2, as published ----------------------------------------------------------------------

class _PathElem:
    __slots__ = ("d", "z", "o", "w")

    def __init__(self, d: int, z: float, o: float, w: float) -> None:
        self.d, self.z, self.o, self.w = d, z, o, w


def _copy(m: List[_PathElem]) -> List[_PathElem]:
    return [_PathElem(e.d, e.z, e.o, e.w) for e in m]


def _extend(m: List[_PathElem], pz: float, po: float, pi: int) -> List[_PathElem]:
    l = len(m)
    m = _copy(m)
    m.append(_PathElem(pi, pz, po, 1.0 if l == 0 else 0.0))
    for i in range(l - 1, -1, -1):
        m[i + 1].w += po * m[i].w * (i + 1) / (l + 1)
        m[i].w = pz * m[i].w * (l - i) / (l + 1)
    return m


def _unwind(m: List[_PathElem], i: int) -> List[_PathElem]:
    l = len(m) - 1  # index of the last element (the paper's l is len(m), 1-based)
    n = m[l].w
    out = _copy(m[:l])
    zi, oi = m[i].z, m[i].o
    for j in range(l - 1, -1, -1):
        if oi != 0:
            t = out[j].w
            out[j].w = n * (l + 1) / ((j + 1) * oi)
            n = t - out[j].w * zi * (l - j) / (l + 1)
        else:
            out[j].w = out[j].w * (l + 1) / (zi * (l - j))
    for j in range(i, l):
        out[j].d, out[j].z, out[j].o = m[j + 1].d, m[j + 1].z, m[j + 1].o
    return out


def tree_shap_reference(tree: Tree, x: Sequence[float], phi: np.ndarray) -> None:
    """Add one tree's SHAP values for row ``x`` (already float32-rounded) into ``phi`` (features, outputs)."""

    def recurse(j: int, m: List[_PathElem], pz: float, po: float, pi: int) -> None:
        m = _extend(m, pz, po, pi)
        if tree.is_leaf(j):
            for i in range(1, len(m)):
                w = sum(e.w for e in _unwind(m, i))
                phi[m[i].d] += w * (m[i].o - m[i].z) * tree.value[j]
            return
        left, right = int(tree.left[j]), int(tree.right[j])
        d = int(tree.feature[j])
        h, c = (left, right) if tree.goes_left(j, x[d]) else (right, left)
        iz = io = 1.0
        k = next((i for i in range(1, len(m)) if m[i].d == d), None)
        if k is not None:
            iz, io = m[k].z, m[k].o
            m = _unwind(m, k)
        rj = tree.cover[j]
        recurse(h, m, iz * tree.cover[h] / rj, io, d)
        recurse(c, m, iz * tree.cover[c] / rj, 0.0, d)

    recurse(0, [], 1.0, 1.0, -1)


def tree_shap_reference_ensemble(ensemble: TreeEnsemble, X: np.ndarray) -> np.ndarray:
    X = as_float32(X)
    phi = np.zeros((X.shape[0], ensemble.n_features, ensemble.n_outputs))
    for r in range(X.shape[0]):
        for t in ensemble.trees:
            tree_shap_reference(t, X[r], phi[r])
    return phi
