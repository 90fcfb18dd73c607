"""A neutral tree representation, and its flattening into one table of root-to-leaf paths.

``Tree`` holds parallel arrays (as sklearn's ``tree_`` does): ``left``/``right`` child ids (-1 at a
leaf), ``missing`` (the child a NaN goes to; -1: NaN is not allowed), ``feature``, ``threshold``,
``value`` (nodes x outputs, already scaled: learning rate, 1/n_trees, class column), ``cover``
(training weight reaching the node) and the split rule: ``"le"`` (x <= t goes left: sklearn) or
``"lt"`` (x < t goes left: XGBoost). Comparisons use float32 inputs, as both libraries do.

``PathTable`` groups every leaf of an ensemble by the number of distinct features on its path: for
each leaf and each of those features, the zero fraction z (product of cover ratios of the splits on
that feature: what TreeSHAP's path-dependent expectation gives when the feature is unknown) and the
interval of values that takes the path (the one fraction o is 1 inside, 0 outside).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


@dataclass
class Tree:
    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray  # (nodes, outputs)
    cover: np.ndarray
    missing: Optional[np.ndarray] = None
    rule: str = "le"

    def __post_init__(self) -> None:
        self.left = np.asarray(self.left, dtype=np.int64)
        self.right = np.asarray(self.right, dtype=np.int64)
        self.feature = np.asarray(self.feature, dtype=np.int64)
        self.threshold = np.asarray(self.threshold, dtype=np.float64)
        self.value = np.asarray(self.value, dtype=np.float64).reshape(len(self.left), -1)
        self.cover = np.asarray(self.cover, dtype=np.float64)
        if self.missing is not None:
            self.missing = np.asarray(self.missing, dtype=np.int64)
        if self.rule not in ("le", "lt"):
            raise ValueError(f"unknown split rule {self.rule!r}")

    def is_leaf(self, node: int) -> bool:
        return bool(self.left[node] < 0)

    def goes_left(self, node: int, x: float) -> bool:
        if x != x:  # NaN
            if self.missing is None or self.missing[node] < 0:
                raise ValueError("missing value (NaN) in a feature this tree cannot route")
            return bool(self.missing[node] == self.left[node])
        t = self.threshold[node]
        return bool(x <= t) if self.rule == "le" else bool(x < t)

    def predict_row(self, x: Sequence[float]) -> np.ndarray:
        node = 0
        while not self.is_leaf(node):
            node = int(self.left[node] if self.goes_left(node, x[self.feature[node]]) else self.right[node])
        return self.value[node]


@dataclass
class TreeEnsemble:
    """Trees whose summed leaf values plus ``offset`` are the model output being explained."""

    trees: List[Tree]
    offset: np.ndarray  # (outputs,)
    output_names: List[str]
    space: str  # "probability" | "raw" (boosting log-odds/scores) | "margin" (XGBoost) | "prediction"
    n_features: int
    notes: List[str] = field(default_factory=list)

    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The output by walking each tree (slow, for checks)."""
        X = as_float32(X)
        out = np.tile(self.offset, (X.shape[0], 1))
        for r in range(X.shape[0]):
            for t in self.trees:
                out[r] += t.predict_row(X[r])
        return out


def as_float32(X: np.ndarray) -> np.ndarray:
    """Inputs as the libraries see them: rounded to float32 (kept in float64 arrays)."""
    return np.asarray(X, dtype=np.float64).astype(np.float32).astype(np.float64)


@dataclass
class PathGroup:
    k: int  # distinct features on each path of the group
    feature: np.ndarray  # (L, k) int
    z: np.ndarray  # (L, k) zero fractions
    lo: np.ndarray  # (L, k) interval of values taking the path (see ``rule``)
    hi: np.ndarray
    nan_ok: np.ndarray  # (L, k) bool: a NaN takes every split on that feature toward the leaf
    strict: np.ndarray  # (L,) bool: rule "lt" (lo <= x < hi) rather than "le" (lo < x <= hi)
    value: np.ndarray  # (L, outputs)


@dataclass
class PathTable:
    groups: List[PathGroup]
    expected: np.ndarray  # (outputs,) E[f] under the cover distribution, offset included
    constant: np.ndarray  # (outputs,) offset + the values of single-leaf trees
    n_outputs: int


def _leaf_paths(tree: Tree) -> List[Tuple[int, Dict[int, List[float]]]]:
    """(leaf, {feature: [z, lo, hi, nan_ok]}) for every leaf reachable with non-zero cover."""
    out: List[Tuple[int, Dict[int, List[float]]]] = []
    stack: List[Tuple[int, Dict[int, List[float]]]] = [(0, {})]
    while stack:
        node, conds = stack.pop()
        if tree.is_leaf(node):
            out.append((node, conds))
            continue
        f = int(tree.feature[node])
        t = float(tree.threshold[node])
        parent_cover = tree.cover[node]
        for child, is_left in ((int(tree.left[node]), True), (int(tree.right[node]), False)):
            ratio = tree.cover[child] / parent_cover if parent_cover > 0 else 0.0
            z, lo, hi, nan_ok = conds.get(f, [1.0, -np.inf, np.inf, 1.0])
            if is_left:
                hi = min(hi, t)
            else:
                lo = max(lo, t)
            nan_here = tree.missing is not None and tree.missing[node] == child
            new = dict(conds)
            new[f] = [z * ratio, lo, hi, float(bool(nan_ok) and nan_here)]
            stack.append((child, new))
    return out


def path_table(ensemble: TreeEnsemble) -> PathTable:
    """Flatten every leaf of every tree into groups by path length (in distinct features)."""
    rows: Dict[int, List[Tuple[List[int], List[List[float]], bool, np.ndarray]]] = {}
    expected = np.array(ensemble.offset, dtype=np.float64)
    constant = expected.copy()
    for tree in ensemble.trees:
        strict = tree.rule == "lt"
        for leaf, conds in _leaf_paths(tree):
            feats = sorted(conds)
            value = tree.value[leaf]
            expected = expected + value * float(np.prod([conds[f][0] for f in feats]) if feats else 1.0)
            if not feats:  # a single-leaf tree: a constant
                constant = constant + value
                continue
            rows.setdefault(len(feats), []).append((feats, [conds[f] for f in feats], strict, value))
    groups = []
    for k in sorted(rows):
        items = rows[k]
        feat = np.array([it[0] for it in items], dtype=np.int64)
        c = np.array([it[1] for it in items], dtype=np.float64)  # (L, k, 4)
        groups.append(PathGroup(
            k=k, feature=feat, z=c[:, :, 0], lo=c[:, :, 1], hi=c[:, :, 2], nan_ok=c[:, :, 3] > 0,
            strict=np.array([it[2] for it in items], dtype=bool),
            value=np.array([it[3] for it in items], dtype=np.float64).reshape(len(items), -1)))
    return PathTable(groups, expected, constant, ensemble.n_outputs)
