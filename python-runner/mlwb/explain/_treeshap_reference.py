"""TreeSHAP's Algorithm 2 as published (Lundberg et al. 2018: EXTEND / UNWIND over the path of unique
features), pure Python, one row and one tree at a time: the reference the vectorised explainer in
``_treeshap.py`` is tested against, and the bench's pure-Python baseline.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np

from ._tree import Tree, TreeEnsemble, as_float32


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
