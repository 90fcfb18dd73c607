"""A neutral tree representation, and its flattening into root-to-leaf paths for TreeSHAP.

``Tree`` holds parallel arrays (as sklearn's ``tree_`` does): ``left``/``right`` child ids (-1 at a
leaf), ``missing`` (the child a NaN goes to; -1: NaN is not allowed), ``feature``, ``threshold``,
``value`` (nodes x outputs, already scaled: learning rate, 1/n_trees, class column), ``cover``
(training weight reaching the node) and the split rule: ``"le"`` (x <= t goes left: sklearn) or
``"lt"`` (x < t goes left: XGBoost). Comparisons use float32 inputs, as both libraries do.

``Walked`` numbers the nodes of all the trees together and gives each node its path from the root as
arrays, by levels and sorting (no loop over nodes); ``Walked.paths`` is one batch of trees. Each leaf with a
feature on its path gets
its distinct path features ("slots", in order of first appearance from the root), each slot's zero
fraction z (the product of the cover ratios of the splits on that feature: TreeSHAP's path-dependent
expectation when the feature is unknown) and the splits deciding whether a row satisfies the slot (its
one fraction o is 1 when the row takes every split on that feature toward the leaf, else 0). For nodes
with at most ``MASK_BITS`` slots it also lists, level by level, how a child's bitmask of satisfied slots
follows from its parent's: one pass down the trees gives every leaf's mask for a chunk of rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

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
    leaf_parent: np.ndarray  # (L,) the parent node
    leaf_parent_split: np.ndarray  # (L,) its split number
    leaf_right: np.ndarray  # bool: the parent's right child
    leaf_last_slot: np.ndarray  # the slot of the parent's feature
    leaf_repeat: np.ndarray  # bool: that feature is also split on above the parent

    @property
    def pair_start(self) -> np.ndarray:
        """(L + 1,) where each leaf's pairs start."""
        return np.concatenate([[0], np.cumsum(self.leaf_k)])


class Walked:
    """Every tree's nodes numbered together, each node's root-to-node path split into its slots, all at once
    (no loop over nodes): ``paths(a, b)`` is the batch of trees a..b-1."""

    def __init__(self, trees: Sequence[Tree], n_outputs: int) -> None:
        sizes = np.array([len(t.left) for t in trees], dtype=np.int64)
        self.tree_start = off = np.concatenate([[0], np.cumsum(sizes)])
        node_off = np.repeat(off[:-1], sizes)
        glob = lambda a: np.where(a >= 0, a + node_off, -1)  # noqa: E731
        left = glob(np.concatenate([t.left for t in trees]))
        right = glob(np.concatenate([t.right for t in trees]))
        missing = glob(np.concatenate([t.missing if t.missing is not None else np.full(len(t.left), -1) for t in trees]))
        feature = np.concatenate([t.feature for t in trees])
        cover = np.concatenate([t.cover for t in trees])
        self.threshold = np.concatenate([t.threshold for t in trees])
        self.strict = np.repeat(np.array([t.rule == "lt" for t in trees], dtype=bool), sizes)
        self.value = np.vstack([t.value.reshape(len(t.left), n_outputs) for t in trees])
        self.feature = feature
        N = len(left)
        # depth by levels from the roots; a node no root reaches takes no part
        depth = np.full(N, -1, dtype=np.int64)
        frontier = off[:-1]
        d = 0
        while frontier.size:
            depth[frontier] = d
            frontier = frontier[left[frontier] >= 0]
            frontier = np.concatenate([left[frontier], right[frontier]])
            d += 1
        reached = depth >= 0
        split = reached & (left >= 0)
        internal = np.flatnonzero(split)
        parent = np.full(N, -1, dtype=np.int64)
        parent[left[internal]] = internal
        parent[right[internal]] = internal
        went_right = np.zeros(N, dtype=bool)
        went_right[right[internal]] = True
        self.split_rank = np.cumsum(split) - 1
        self.is_split = split
        self.nan_to = np.where(missing < 0, -1, (missing == left).astype(np.int64))  # -1: not routed, 1: left, 0: right
        self.depth, self.parent, self.went_right = depth, parent, went_right
        self.leaf = reached & (left < 0)
        # edges: (node, an ancestor split on its path, the path's node below that split), nodes in order
        owner = cur = np.flatnonzero(reached & (parent >= 0))
        e_node, e_child = [], []
        while cur.size:
            e_node.append(owner)
            e_child.append(cur)
            up = parent[parent[cur]] >= 0
            owner, cur = owner[up], parent[cur][up]
        e_node_a = np.concatenate(e_node) if e_node else np.zeros(0, dtype=np.int64)
        e_child_a = np.concatenate(e_child) if e_child else np.zeros(0, dtype=np.int64)
        e_split = parent[e_child_a]
        e_f = feature[e_split]
        e_dep = depth[e_split]
        o = np.lexsort((e_dep, e_f, e_node_a))  # by node, then feature, then depth
        e_node_a, e_child_a, e_split, e_f, e_dep = e_node_a[o], e_child_a[o], e_split[o], e_f[o], e_dep[o]
        c = cover[e_split]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(c > 0, cover[e_child_a] / np.where(c > 0, c, 1.0), 0.0)
        first = np.r_[True, (e_node_a[1:] != e_node_a[:-1]) | (e_f[1:] != e_f[:-1])] if len(o) else np.zeros(0, dtype=bool)
        gstart = np.flatnonzero(first)
        gid = np.cumsum(first) - 1
        g_node, g_f, g_d0 = e_node_a[gstart], e_f[gstart], e_dep[gstart]
        g_z = np.multiply.reduceat(ratio, gstart) if len(gstart) else np.zeros(0)
        go = np.lexsort((g_d0, g_node))  # a node's slots in order of first appearance from the root
        gn = g_node[go]
        node_first = np.flatnonzero(np.r_[True, gn[1:] != gn[:-1]]) if len(gn) else np.zeros(0, dtype=np.int64)
        pos = np.arange(len(go)) - np.repeat(node_first, np.diff(np.r_[node_first, len(go)]))
        g_slot = np.empty(len(go), dtype=np.int64)
        g_slot[go] = pos
        self.k = np.bincount(g_node, minlength=N)
        e_slot = g_slot[gid]
        # levels: the edge from each node's parent
        step = e_child_a == e_node_a
        self.lv_child = e_node_a[step]
        self.lv_slot = e_slot[step]
        self.lv_bit = (1 << self.lv_slot).astype(np.int64)
        self.lv_repeat = ~first[step]
        # slots and conditions, by node (groups and edges are sorted by node first)
        self.g_node, self.g_f, self.g_z, self.g_slot = g_node, g_f, g_z, g_slot
        self.e_node, self.e_split, self.e_slot, self.e_dep = e_node_a, e_split, e_slot, e_dep
        self.e_right = went_right[e_child_a]
        self.n_outputs = n_outputs

    def tree_tables(self, max_k: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per tree: (nodes, rows and width of the mask tables of its leaves with 1..max_k slots)."""
        tree = np.repeat(np.arange(len(self.tree_start) - 1), np.diff(self.tree_start))
        tab = self.leaf & (self.k >= 1) & (self.k <= max_k)
        rows = np.bincount(tree[tab], weights=(1 << self.k[tab]).astype(np.float64), minlength=len(self.tree_start) - 1)
        width = np.zeros(len(self.tree_start) - 1, dtype=np.int64)
        np.maximum.at(width, tree[tab], self.k[tab])
        return np.diff(self.tree_start), rows.astype(np.int64), width

    def paths(self, a: int, b: int) -> Paths:
        lo, hi = int(self.tree_start[a]), int(self.tree_start[b])
        K = self.n_outputs
        sl = slice(lo, hi)
        s0 = int(self.split_rank[lo - 1]) + 1 if lo else 0
        sp = np.flatnonzero(self.is_split[sl]) + lo
        nan = self.nan_to[sp]
        # levels, children in node order, grouped by their parent's depth
        c0, c1 = np.searchsorted(self.lv_child, [lo, hi])
        child = self.lv_child[c0:c1]
        keep = self.k[child] <= MASK_BITS
        child, bit, rep = child[keep], self.lv_bit[c0:c1][keep], self.lv_repeat[c0:c1][keep]
        par = self.parent[child]
        pd = self.depth[par]
        levels = []
        order = np.argsort(pd, kind="stable")
        child, bit, rep, par, pd = child[order], bit[order], rep[order], par[order], pd[order]
        bounds = np.flatnonzero(np.r_[True, pd[1:] != pd[:-1], True]) if len(pd) else np.zeros(1, dtype=np.int64)
        for u, v in zip(bounds[:-1], bounds[1:]):
            levels.append(Level(child=child[u:v] - lo, parent=par[u:v] - lo, split=self.split_rank[par[u:v]] - s0,
                                right=self.went_right[child[u:v]][:, None], bit=bit[u:v, None].astype(np.uint16),
                                repeat=rep[u:v, None]))
        # leaves with a slot, sorted by k (stable: node order)
        leaves = np.flatnonzero(self.leaf[sl]) + lo
        constant = self.value[leaves[self.k[leaves] == 0]].sum(axis=0) if len(leaves) else np.zeros(K)
        leaves = leaves[self.k[leaves] > 0]
        leaves = leaves[np.argsort(self.k[leaves], kind="stable")]
        L = len(leaves)
        ks = self.k[leaves]
        kmax = int(ks[-1]) if L else 0
        rank = np.full(hi - lo, -1, dtype=np.int64)
        rank[leaves - lo] = np.arange(L)
        g0, g1 = np.searchsorted(self.g_node, [lo, hi])
        gr = rank[self.g_node[g0:g1] - lo]
        gm = gr >= 0
        feature = np.zeros((L, kmax), dtype=np.int64)
        z = np.ones((L, kmax))
        feature[gr[gm], self.g_slot[g0:g1][gm]] = self.g_f[g0:g1][gm]
        z[gr[gm], self.g_slot[g0:g1][gm]] = self.g_z[g0:g1][gm]
        e0, e1 = np.searchsorted(self.e_node, [lo, hi])
        er = rank[self.e_node[e0:e1] - lo]
        em = np.flatnonzero(er >= 0) + e0
        er = er[er >= 0]
        eo = np.lexsort((self.e_dep[em], self.e_slot[em], er))  # pairs in leaf then slot order
        em, er = em[eo], er[eo]
        pair = er * max(kmax, 1) + self.e_slot[em]
        cond_start = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if len(pair) else np.zeros(0, dtype=np.int64)
        value = self.value[leaves]
        at = np.searchsorted(self.lv_child, leaves)
        parent = self.parent[leaves]
        expected = constant + (value * np.prod(z, axis=1)[:, None]).sum(axis=0)
        return Paths(
            n_nodes=hi - lo, split_feature=self.feature[sp], split_threshold=self.threshold[sp],
            split_strict=self.strict[sp], split_nan_left=nan == 1, split_nan_ok=nan >= 0, levels=levels,
            leaf_node=leaves - lo, leaf_k=ks, leaf_feature=feature, leaf_z=z, leaf_value=value,
            cond_split=self.split_rank[self.e_split[em]] - s0, cond_right=self.e_right[em],
            cond_start=cond_start.astype(np.int64), constant=constant, expected=expected,
            leaf_parent=parent - lo, leaf_parent_split=self.split_rank[parent] - s0, leaf_right=self.went_right[leaves],
            leaf_last_slot=self.lv_slot[at], leaf_repeat=self.lv_repeat[at])
