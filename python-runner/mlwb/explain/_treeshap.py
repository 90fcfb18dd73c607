"""Exact path-dependent TreeSHAP (Lundberg et al. 2018), vectorised over rows, leaves and trees.

For a leaf with value v reached through distinct features P (|P| = k: the leaf's "slots"), the
path-dependent value function is the product game v * prod_{j in P} (o_j if j in S else z_j): o_j is 1
when the row takes every split on feature j toward the leaf (else 0), z_j is its zero fraction. With M
the slots the row satisfies, Z(A) = prod_{i in A} z_i and T(A) = sum_{S in A} w(|S|, k) Z(A - S),
w(s, k) = s!(k-s-1)!/k!, slot j's Shapley value is
    -v Z(P - M) T(M)               if j is not in M,
    v (1 - z_j) Z(P - M) T(M - j)  if j is in M.
It is additive over leaves, so all the leaves of a batch of trees are processed together, per chunk of rows:

1. decisions: every split of the batch against the rows (a NaN takes the split's default direction);
2. masks: one pass down the trees' levels gives every leaf's M (a bit per slot; a repeated feature
   clears its slot's bit when the row goes the other way);
3. per leaf, whichever is cheaper for this many rows (``table_k``): a lookup in the leaf's table of all
   2^k masks (Fast TreeSHAP v2, Yang 2021: O(2^k k) once, then O(k) per row), or the O(k^2) polynomial
   per row (``_leafshap.polynomial_values``: deep paths, few rows). A split's two leaves ("twins") share one
   table indexed by the parent's mask and the split's decision (2^(k_parent + 1) rows, the leaves' values folded
   in) when both values lie in one output column: half the lookups, and no larger tables;
4. the (leaf, slot) values times their leaves' values, summed by feature: one matmul (``_ByFeature``).
Memory is bounded: a batch's tables take at most ``TABLE_BYTES`` (``KEEP_BYTES`` of them are kept for the
next call), a chunk's work arrays ``CHUNK_BYTES``.
Local accuracy holds by construction: sum_j phi_j = sum_leaves v (prod o - prod z) = f(x) - E[f].
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ._leafshap import h_table, leaf_tables, polynomial_values, shapley_weights
from ._tree import MASK_BITS, Paths, TreeEnsemble, Walked, as_float32

BATCH_NODES = 4096  # trees are flattened together until a batch has this many nodes
TABLE_BYTES = 32 << 20
CHUNK_BYTES = 8 << 20
KEEP_BYTES = 64 << 20  # tables an explainer keeps for its next call
DENSE_COLUMNS = 64  # features x outputs up to which values are summed by one dense matmul
MAX_TABLE_K = 12
# A leaf gets a table when 2^k <= TABLE_ROWS * rows * k: a table costs O(2^k k) once, a polynomial O(k^2)
# per row. Measured on the bench's 100-tree RandomForest (1,000 and 3 rows): 0.5, 2, 8 and 32 tried with
# MAX_TABLE_K 10, 12 and 14; 2 and 12 were best (32 made 3 rows 3.5x slower, 0.5 made 1,000 rows a third slower).
TABLE_ROWS = 2.0
TWIN_TABLES = True  # a split's two leaves share one table (see _Plan._twins)


def table_k(n_rows: int) -> int:
    """The largest slot count whose leaves are cheaper by table than by polynomials for ``n_rows`` rows."""
    k = 0
    while k < min(MAX_TABLE_K, MASK_BITS) and (1 << (k + 1)) <= TABLE_ROWS * n_rows * (k + 1):
        k += 1
    return k


def _batches(walked: Walked) -> List[Tuple[int, int]]:
    """Consecutive trees, up to BATCH_NODES nodes or TABLE_BYTES of tables (at the largest table_k) a batch."""
    nodes, rows, width = (a.tolist() for a in walked.tree_tables(MAX_TABLE_K))
    starts = [0]
    n = r = w = 0
    for i, (tn, tr, tw) in enumerate(zip(nodes, rows, width)):
        if i > starts[-1] and (n + tn > BATCH_NODES or (r + tr) * max(w, tw) * 8 > TABLE_BYTES):
            starts.append(i)
            n = r = w = 0
        n += tn
        r += tr
        w = max(w, tw)
    return list(zip(starts, starts[1:] + [len(nodes)]))


class _ByFeature:
    """Adds the values of (leaf, slot) columns, times their leaf's values, into phi (rows, features, outputs):
    one matmul with a dense (columns, features x outputs) matrix when that is narrow, else the columns
    sorted by feature and one small matmul per feature (wide data, many classes)."""

    def __init__(self, feature: np.ndarray, value: np.ndarray, valid: np.ndarray) -> None:
        cols = np.flatnonzero(valid)
        self.features = np.unique(feature[cols])
        K = value.shape[1]
        self.dense: Optional[np.ndarray] = None
        if len(self.features) * K <= DENSE_COLUMNS:
            W = np.zeros((len(valid), len(self.features), K))
            W[cols, np.searchsorted(self.features, feature[cols]), :] = value[cols]
            self.dense = W.reshape(len(valid), -1)
            return
        self.order = cols[np.argsort(feature[cols], kind="stable")]
        f = feature[self.order]
        starts = np.flatnonzero(np.r_[True, f[1:] != f[:-1]]) if len(f) else np.zeros(0, dtype=np.int64)
        self.groups = list(zip(f[starts].tolist(), starts.tolist(), np.r_[starts[1:], len(f)].tolist()))
        self.value = value[self.order]  # (columns, outputs)

    @property
    def nbytes(self) -> int:
        return self.dense.nbytes if self.dense is not None else self.value.nbytes + self.order.nbytes

    def add(self, C: np.ndarray, phi: np.ndarray) -> None:
        """C (rows, columns)."""
        if self.dense is not None:
            phi[:, self.features, :] += (C @ self.dense).reshape(len(C), len(self.features), -1)
            return
        Cs = np.take(C, self.order, axis=1)
        for f, a, b in self.groups:
            phi[:, f, :] += Cs[:, a:b] @ self.value[a:b]


class _Polynomials:
    """The leaves of one slot count k evaluated by polynomials."""

    def __init__(self, p: Paths, a: int, b: int, k: int, pair0: int) -> None:
        self.k, self.n = k, b - a
        self.pairs = slice(int(p.pair_start[a]) - pair0, int(p.pair_start[b]) - pair0)
        self.z = p.leaf_z[a:b, :k]
        self.w = shapley_weights(k)
        self.H = h_table(self.z, self.w)
        self.by_feature = _ByFeature(p.leaf_feature[a:b, :k].reshape(-1), np.repeat(p.leaf_value[a:b], k, axis=0),
                                     np.ones(self.n * k, dtype=bool))

    def add(self, o_pairs: np.ndarray, phi: np.ndarray) -> None:
        n = o_pairs.shape[1]
        o = o_pairs[self.pairs].reshape(self.n, self.k, n)
        values = polynomial_values(o, self.z, self.H, self.w)
        self.by_feature.add(values.reshape(self.n * self.k, n).T, phi)


class _Plan:
    """One batch of trees for leaves of up to ``kt`` slots by table: those leaves (a prefix: leaves are
    sorted by k), their tables, and the polynomial groups for the rest. Kept by the explainer for the
    next call with the same ``kt`` while their size allows."""

    def __init__(self, p: Paths, kt: int) -> None:
        self.p = p
        k = p.leaf_k
        while True:
            t = int(np.searchsorted(k, kt, side="right"))
            width = int(k[t - 1]) if t else 0
            if int((1 << k[:t]).sum()) * width * 8 <= TABLE_BYTES or kt == 0:
                break
            kt -= 1
        self.t, self.width = t, width
        self.strict = "all" if p.split_strict.all() else "none" if not p.split_strict.any() else "mixed"
        # per row: the split inputs and decisions, the masks, table indices, gathered values (and a sorted copy)
        if t:
            self._build_tables(kt)
        units = len(self.unit_node) if t else 0
        self.row_bytes = 10 * len(p.split_feature) + 2 * p.n_nodes + 8 * units + 16 * units * width
        pair0 = int(p.pair_start[t])
        self.cond0 = int(p.cond_start[pair0]) if t < len(k) else 0
        self.cond_start = p.cond_start[pair0:] - self.cond0
        self.polys = []
        a = t
        while a < len(k):
            b = int(np.searchsorted(k, k[a], side="right"))
            self.polys.append(_Polynomials(p, a, b, int(k[a]), pair0))
            self.row_bytes = max(self.row_bytes, 8 * (b - a) * (4 * int(k[a]) + 1))
            a = b
        if self.polys:  # the polynomials' conditions and one fractions, bool
            self.row_bytes += len(p.cond_split) - self.cond0 + len(self.cond_start)
        self.nbytes = (self.table.nbytes + self.by_feature.nbytes if t else 0) + sum(
            g.H.nbytes + g.by_feature.nbytes for g in self.polys)

    def chunk(self, n_rows: int) -> int:
        return max(1, min(n_rows, CHUNK_BYTES // max(1, self.row_bytes)))

    def _twins(self, kt: int) -> np.ndarray:
        """(m, 2) table leaves that are a split's two children (left, right) and can share one table: indexed
        by the parent's mask and the split's decision, at most ``kt`` bits, the two values one output's multiples."""
        p, t = self.p, self.t
        par = p.leaf_parent[:t]
        order = np.argsort(par, kind="stable")
        same = np.flatnonzero(par[order][1:] == par[order][:-1])
        a, b = order[same], order[same + 1]
        swap = p.leaf_right[a]
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        bits = p.leaf_k[a] + p.leaf_repeat[a]  # the parent's slots, and the decision
        ok = (bits <= kt) & TWIN_TABLES
        va, vb = p.leaf_value[a], p.leaf_value[b]
        if va.shape[1] > 1:  # one output column carries both values
            col = np.argmax(np.abs(va) + np.abs(vb), axis=1)
            rest = np.ones_like(va, dtype=bool)
            rest[np.arange(len(a)), col] = False
            ok &= ~((va != 0) & rest).any(axis=1) & ~((vb != 0) & rest).any(axis=1)
        a, b = a[ok], b[ok]
        order = np.lexsort((p.leaf_repeat[a], p.leaf_k[a]))  # units of one table shape consecutive
        return np.stack([a[order], b[order]], axis=1)

    def _build_tables(self, kt: int) -> None:
        """One table per unit: a leaf alone (rows: its 2^k masks) or twins (rows: parent mask x 2 + decision,
        values already times each leaf's share of the unit's output)."""
        p, t, width = self.p, self.t, self.width
        twins = self._twins(kt)
        alone = np.ones(t, dtype=bool)
        alone[twins.reshape(-1)] = False
        single = np.flatnonzero(alone)
        first = np.r_[single, twins[:, 0]]  # a unit's slots, features, and output: those of its first leaf
        self.n_single = len(single)
        k = p.leaf_k[first]
        bits = np.r_[k[: len(single)], k[len(single):] + p.leaf_repeat[twins[:, 0]]]
        sizes = 1 << bits
        self.base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.table = np.zeros((int(sizes.sum()), width))
        self.unit_node = np.r_[p.leaf_node[single], p.leaf_parent[twins[:, 0]]]
        self.twin_split = p.leaf_parent_split[twins[:, 0]]
        value = p.leaf_value[first].copy()
        scale = np.ones((len(twins), 2))
        if len(twins):
            va, vb = p.leaf_value[twins[:, 0]], p.leaf_value[twins[:, 1]]
            col = np.argmax(np.abs(va) + np.abs(vb), axis=1)
            r = np.arange(len(twins))
            scale = np.stack([va[r, col], vb[r, col]], axis=1)
            value[len(single):] = 0.0
            value[len(single) + r, col] = 1.0
        for u0, u1, fill in ((0, len(single), self._fill_single), (len(single), len(first), self._fill_twins)):
            order = np.arange(u0, u1)
            for kg in np.unique(k[u0:u1]).tolist():
                fill(order[k[u0:u1] == kg], kg, single, twins, scale)
        valid = (np.arange(width)[None, :] < k[:, None]).reshape(-1)
        self.by_feature = _ByFeature(p.leaf_feature[first, :width].reshape(-1), np.repeat(value, width, axis=0), valid)

    def _fill_single(self, units: np.ndarray, kg: int, single: np.ndarray, twins: np.ndarray, scale: np.ndarray) -> None:
        step = max(1, CHUNK_BYTES // (8 * (kg + 2) << kg))  # leaf_tables' work arrays per leaf
        for c in range(0, len(units), step):
            u = units[c: c + step]  # consecutive: the singles of one k are consecutive (leaves sorted by k)
            start = int(self.base[u[0]])
            self.table[start: start + (len(u) << kg), :kg] = leaf_tables(self.p.leaf_z[single[u], :kg]).reshape(-1, kg)

    def _fill_twins(self, units: np.ndarray, kg: int, single: np.ndarray, twins: np.ndarray, scale: np.ndarray) -> None:
        p = self.p
        i = units - len(single)
        rep = p.leaf_repeat[twins[i, 0]]
        for r in (False, True):
            sel = i[rep == r]
            nb = kg + int(r)
            rows = np.arange(1 << nb)
            mp, d = (rows >> 1)[None, :], (rows & 1).astype(bool)[None, :]
            step = max(1, CHUNK_BYTES // (8 * (2 * kg + 4) << nb))
            for c in range(0, len(sel), step):
                s = sel[c: c + step]
                bit = (1 << p.leaf_last_slot[twins[s, 0]])[:, None]
                out = np.zeros((len(s), 1 << nb, kg))
                for side, toward in ((0, d), (1, ~d)):
                    m = (mp & ~(bit * ~toward)) if r else (mp | (bit * toward))
                    T = leaf_tables(p.leaf_z[twins[s, side], :kg])  # (n, 2^k, k)
                    out += np.take_along_axis(T, m[:, :, None], axis=1) * scale[s, side][:, None, None]
                start = int(self.base[s[0] + len(single)])  # consecutive units of one shape
                self.table[start: start + (len(s) << nb), :kg] = out.reshape(-1, kg)

    def _decisions(self, XT: np.ndarray, has_nan: bool) -> np.ndarray:
        """(splits, rows) bool: the row goes left."""
        p = self.p
        xv = XT[p.split_feature]
        thr = p.split_threshold[:, None]
        if self.strict == "all":
            dec = xv < thr
        elif self.strict == "none":
            dec = xv <= thr
        else:
            dec = np.where(p.split_strict[:, None], xv < thr, xv <= thr)
        if has_nan:
            nan = np.isnan(xv)
            if nan.any():
                if (nan & ~p.split_nan_ok[:, None]).any():
                    raise ValueError("missing value (NaN) in a feature this tree cannot route")
                dec = np.where(nan, p.split_nan_left[:, None], dec)
        return dec

    def add(self, XT: np.ndarray, phi: np.ndarray, has_nan: bool, masks: np.ndarray) -> None:
        """Add the batch's values for the rows of ``XT`` (features, rows) into ``phi``; ``masks``
        (nodes, >= rows) uint16 has zero rows at the trees' roots."""
        p, n = self.p, XT.shape[1]
        dec = self._decisions(XT, has_nan)
        if self.t:
            M = masks[:, :n]
            for lv in p.levels:
                toward = dec[lv.split]
                toward ^= lv.right
                dbit = toward.astype(np.uint16)
                dbit *= lv.bit
                Mp = M[lv.parent]
                M[lv.child] = np.where(lv.repeat, Mp & ~(lv.bit ^ dbit), Mp | dbit)
            idx = M[self.unit_node].astype(np.int64)  # (units, rows)
            s = self.n_single
            idx[s:] <<= 1
            idx[s:] += dec[self.twin_split]
            idx = idx.T + self.base
            self.by_feature.add(np.take(self.table, idx, axis=0).reshape(n, -1), phi)
        if self.polys:
            toward = dec[p.cond_split[self.cond0:]]
            toward ^= p.cond_right[self.cond0:, None]
            o_pairs = np.logical_and.reduceat(toward, self.cond_start, axis=0)
            for g in self.polys:
                g.add(o_pairs, phi)


class TreeExplainer:
    """Exact path-dependent TreeSHAP for a ``TreeEnsemble``: ``shap_values(X)`` -> (n, features, outputs)."""

    def __init__(self, ensemble: TreeEnsemble) -> None:
        self.ensemble = ensemble
        walked = Walked(ensemble.trees, ensemble.n_outputs) if ensemble.trees else None
        self.batches = [walked.paths(a, b) for a, b in _batches(walked)] if walked is not None else []
        self.expected_value = np.asarray(ensemble.offset, dtype=np.float64) + sum(
            (b.expected for b in self.batches), np.zeros(ensemble.n_outputs))
        self.n_leaves = sum(len(b.leaf_k) for b in self.batches)
        self._plans: Dict[Tuple[int, int], _Plan] = {}
        self._plan_bytes = 0

    def _plan(self, i: int, kt: int) -> _Plan:
        plan = self._plans.get((i, kt))
        if plan is None:
            plan = _Plan(self.batches[i], kt)
            if self._plan_bytes + plan.nbytes <= KEEP_BYTES:
                self._plans[(i, kt)] = plan
                self._plan_bytes += plan.nbytes
        return plan

    def shap_values(self, X: np.ndarray, on_chunk: Optional[Callable[[int], None]] = None) -> np.ndarray:
        """``on_chunk(done)`` after each chunk, ``done`` counting rows: the share of the work done times n."""
        XT = np.ascontiguousarray(as_float32(X).T)
        n = XT.shape[1]
        phi = np.zeros((n, self.ensemble.n_features, self.ensemble.n_outputs))
        if n == 0:
            return phi
        has_nan = bool(np.isnan(XT).any())
        nb, kt = len(self.batches), table_k(n)
        for i in range(nb):
            plan = self._plan(i, kt)
            step = plan.chunk(n)
            masks = np.zeros((plan.p.n_nodes, step), dtype=np.uint16) if plan.t else np.zeros((0, 0), dtype=np.uint16)
            for a in range(0, n, step):
                plan.add(XT[:, a: a + step], phi[a: a + step], has_nan, masks)
                if on_chunk is not None:
                    on_chunk((i * n + min(n, a + step)) // nb)
        return phi


def tree_shap(ensemble: TreeEnsemble, X: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(shap values (n, features, outputs), expected value (outputs,))."""
    ex = TreeExplainer(ensemble)
    return ex.shap_values(X), ex.expected_value
