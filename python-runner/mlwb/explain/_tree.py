"""A neutral tree representation, and its flattening into root-to-leaf paths for TreeSHAP.

``Tree`` holds parallel arrays (as sklearn's ``tree_`` does): ``left``/``right`` child ids (-1 at a
leaf), ``missing`` (the child a NaN goes to; -1: NaN is not allowed), ``feature``, ``threshold``,
``value`` (nodes x outputs, already scaled: learning rate, 1/n_trees, class column), ``cover``
(training weight reaching the node) and the split rule: ``"le"`` (x <= t goes left: sklearn) or
``"lt"`` (x < t goes left: XGBoost). Comparisons use float32 inputs, as both libraries do.

``walk`` goes down one tree, ``flatten`` numbers the nodes of a batch of walked trees together. Each leaf with a feature on its path gets
its distinct path features ("slots", in order of first appearance from the root), each slot's zero
fraction z (the product of the cover ratios of the splits on that feature: TreeSHAP's path-dependent
expectation when the feature is unknown) and the splits deciding whether a row satisfies the slot (its
one fraction o is 1 when the row takes every split on that feature toward the leaf, else 0). For nodes
with at most ``MASK_BITS`` slots it also lists, level by level, how a child's bitmask of satisfied slots
follows from its parent's: one pass down the trees gives every leaf's mask for a chunk of rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

MASK_BITS = 16  # masks are uint16


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
class Level:
    """The children one level down whose masks are kept (their path has at most MASK_BITS slots)."""

    child: np.ndarray  # node numbers
    parent: np.ndarray  # their parents' node numbers
    split: np.ndarray  # their parents' split numbers (rows of the decision array)
    right: np.ndarray  # (m, 1) bool: the right child
    bit: np.ndarray  # (m, 1) uint16: 1 << the child's slot for its parent's feature
    repeat: np.ndarray  # (m, 1) bool: that feature was on the path already (its bit can only be cleared)


@dataclass
class Paths:
    """A batch of trees flattened (see the module docstring). Leaves are sorted by their slot count k."""

    n_nodes: int
    split_feature: np.ndarray  # (splits,)
    split_threshold: np.ndarray
    split_strict: np.ndarray  # bool: x < t goes left (else x <= t)
    split_nan_left: np.ndarray  # bool: a NaN goes left
    split_nan_ok: np.ndarray  # bool: the split routes a NaN at all
    levels: List[Level]
    leaf_node: np.ndarray  # (L,)
    leaf_k: np.ndarray  # (L,) ascending
    leaf_feature: np.ndarray  # (L, kmax), slot order; padding 0
    leaf_z: np.ndarray  # (L, kmax); padding 1
    leaf_value: np.ndarray  # (L, outputs)
    cond_split: np.ndarray  # the splits of every (leaf, slot) pair, pairs in leaf then slot order
    cond_right: np.ndarray  # bool: the leaf is on the split's right
    cond_start: np.ndarray  # (pairs,) where each pair's splits start in cond_split
    constant: np.ndarray  # (outputs,) the values of single-leaf trees
    expected: np.ndarray  # (outputs,) E[f] of these trees under the cover distribution

    @property
    def pair_start(self) -> np.ndarray:
        """(L + 1,) where each leaf's pairs start."""
        return np.concatenate([[0], np.cumsum(self.leaf_k)])


_Slot = Tuple[int, float, Tuple[Tuple[int, bool], ...]]  # feature, z, its splits (split, right)
_Leaf = Tuple[int, int, Tuple[_Slot, ...], List[float]]  # k, node, slots, value
_LevelRow = Tuple[int, int, int, bool, int, bool]  # child, parent, split, right, bit, repeat


@dataclass
class TreePaths:
    """One tree walked (nodes and splits numbered within the tree): what ``flatten`` merges."""

    n_nodes: int
    split_f: List[int]
    split_t: List[float]
    split_nan: List[int]  # -1: NaN not routed, 0: right, 1: left
    strict: bool
    levels: Dict[int, List[_LevelRow]]
    leaves: List[_Leaf]
    constant: np.ndarray

    def table_shape(self, max_k: int) -> Tuple[int, int]:
        """(rows, width) of the mask tables of its leaves with at most ``max_k`` slots."""
        ks = [leaf[0] for leaf in self.leaves if leaf[0] <= max_k]
        return sum(1 << k for k in ks), max(ks, default=0)


def walk(tree: Tree, n_outputs: int) -> TreePaths:
    left, right, feature = tree.left.tolist(), tree.right.tolist(), tree.feature.tolist()
    threshold, cover, values = tree.threshold.tolist(), tree.cover.tolist(), tree.value.tolist()
    missing = tree.missing.tolist() if tree.missing is not None else None
    out = TreePaths(len(left), [], [], [], tree.rule == "lt", {}, [], np.zeros(n_outputs))
    leaves, split_f, split_t, split_nan = out.leaves, out.split_f, out.split_t, out.split_nan
    # (node, depth, slots, the slots' features)
    stack: List[Tuple[int, int, Tuple[_Slot, ...], Tuple[int, ...]]] = [(0, 0, (), ())]
    while stack:
        node, depth, slots, feats = stack.pop()
        lo = left[node]
        if lo < 0:
            if slots:
                leaves.append((len(slots), node, slots, values[node]))
            else:
                out.constant += values[node]
            continue
        s = len(split_f)
        f = feature[node]
        split_f.append(f)
        split_t.append(threshold[node])
        nan_to = missing[node] if missing is not None else -1
        split_nan.append(-1 if nan_to < 0 else int(nan_to == lo))
        c = cover[node]
        repeat = f in feats
        j = feats.index(f) if repeat else len(feats)
        grown_feats = feats if repeat else feats + (f,)
        level = out.levels.setdefault(depth, [])
        keep = len(grown_feats) <= MASK_BITS
        for child, is_right in ((lo, False), (right[node], True)):
            ratio = cover[child] / c if c > 0 else 0.0
            if repeat:
                _, z, conds = slots[j]
                grown = slots[:j] + ((f, z * ratio, conds + ((s, is_right),)),) + slots[j + 1:]
            else:
                grown = slots + ((f, ratio, ((s, is_right),)),)
            if keep:
                level.append((child, node, s, is_right, 1 << j, repeat))
            stack.append((child, depth + 1, grown, grown_feats))
    return out


def flatten(trees: Sequence[TreePaths]) -> Paths:
    """Merge walked trees into one batch: nodes and splits renumbered after each other."""
    split_f: List[int] = []
    split_t: List[float] = []
    split_strict: List[bool] = []
    split_nan: List[int] = []
    levels: Dict[int, List[_LevelRow]] = {}
    leaves: List[_Leaf] = []
    constant = np.zeros(len(trees[0].constant))
    nodes = 0
    for t in trees:
        splits = len(split_f)
        split_f += t.split_f
        split_t += t.split_t
        split_strict += [t.strict] * len(t.split_f)
        split_nan += t.split_nan
        for depth, rows in t.levels.items():
            levels.setdefault(depth, []).extend(
                (c + nodes, p + nodes, s + splits, r, b, rep) for c, p, s, r, b, rep in rows)
        leaves += [(k, node + nodes, slots, v, splits) for k, node, slots, v in t.leaves]
        constant = constant + t.constant
        nodes += t.n_nodes
    return _arrays(nodes, split_f, split_t, split_strict, split_nan, levels, leaves, constant)


def _arrays(n_nodes: int, split_f: List[int], split_t: List[float], split_strict: List[bool], split_nan: List[int],
            levels: Dict[int, List[_LevelRow]], leaves: List[Tuple[int, int, Tuple[_Slot, ...], List[float], int]], constant: np.ndarray) -> Paths:
    leaves.sort(key=lambda leaf: leaf[0])
    L = len(leaves)
    ks = [leaf[0] for leaf in leaves]
    kmax = ks[-1] if leaves else 0
    slots = [slot for leaf in leaves for slot in leaf[2]]  # every (leaf, slot) pair, leaf then slot order
    in_leaf = np.arange(kmax)[None, :] < np.array(ks, dtype=np.int64)[:, None]
    feature = np.zeros((L, kmax), dtype=np.int64)
    feature[in_leaf] = [slot[0] for slot in slots]
    z = np.ones((L, kmax))
    z[in_leaf] = [slot[1] for slot in slots]
    pair_split = [leaf[4] for leaf in leaves for _ in leaf[2]]  # where each pair's tree numbers its splits from
    cond_start = np.cumsum([0] + [len(slot[2]) for slot in slots[:-1]]) if slots else np.zeros(0, dtype=np.int64)
    cond_split = [c + base for slot, base in zip(slots, pair_split) for c, _ in slot[2]]
    cond_right = [r for slot in slots for _, r in slot[2]]
    value = np.array([leaf[3] for leaf in leaves], dtype=np.float64).reshape(L, -1)
    expected = constant + (value * np.prod(z, axis=1)[:, None]).sum(axis=0)
    nan = np.array(split_nan, dtype=np.int64)
    lv = []
    for depth in sorted(d for d in levels if levels[d]):
        rec = np.array(levels[depth], dtype=np.int64)
        lv.append(Level(child=rec[:, 0], parent=rec[:, 1], split=rec[:, 2], right=rec[:, 3:4].astype(bool),
                        bit=rec[:, 4:5].astype(np.uint16), repeat=rec[:, 5:6].astype(bool)))
    return Paths(
        n_nodes=n_nodes, split_feature=np.array(split_f, dtype=np.int64), split_threshold=np.array(split_t, dtype=np.float64),
        split_strict=np.array(split_strict, dtype=bool), split_nan_left=nan == 1, split_nan_ok=nan >= 0, levels=lv,
        leaf_node=np.array([leaf[1] for leaf in leaves], dtype=np.int64), leaf_k=np.array(ks, dtype=np.int64),
        leaf_feature=feature, leaf_z=z, leaf_value=value, cond_split=np.array(cond_split, dtype=np.int64),
        cond_right=np.array(cond_right, dtype=bool), cond_start=np.array(cond_start, dtype=np.int64),
        constant=constant, expected=expected)
