"""A node-level MILP lower bound for `group_local: primary` with one group per node.

Relaxation of one layer: GPUs are merged into their node (a node's load / `gpus_per_node`
and every replica must stay under T), everything else is kept: integer replica counts, the
replicas of each expert on each node, the home replica of every expert on its group's node,
and exactly `gpus_per_node x slots_per_gpu` replicas per node. With one group per node every
node is the home of exactly one group and nodes are interchangeable, so group g's home is node
g without loss of generality. Counts below `K_e` are exact (binary z[e, k], y[n, e, k]
replicas on node n when the count is k, load y w_e / k); the last bucket means "K_e or more",
with a continuous load s[n, e] <= y w_e / K_e and sum_n s[n, e] = w_e (a relaxation, so the
bound stays valid), unless no count can exceed K_e (then it is exact as well). So where no
expert's count lands in an open last bucket, the answer is a node-level placement whose even
split carries exactly the loads the MILP counted. Solved by HiGHS (`scipy.optimize.milp`);
its dual bound is a lower bound on the layer's largest GPU load under the even split, and at
optimality the node-level optimum.

The MILP is too slow for every solve (20 s to a few minutes per layer of 256 experts); it
judges the heuristic on the layers where it stays furthest from the combinatorial bound. Its
LP relaxation (`node_lp`, about 2 s) is nearly as tight on hot layers: a bound for judging
every layer, and the start that the heuristic rounds on hot layers with time to spare.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

EXACT_COUNTS = 10
"""Counts kept exact beyond the least count an expert needs at the known bound. With 3, the
open last bucket's uneven split let the hottest experts shed load that no placement sheds: on
the `deepseek-v3` preset at EP64 layer 36's bound rose from 1.0651 to 1.0753 (units of the
average GPU load) with 10, whose answer needs no open bucket (docs/placement.md)."""

LP_LEAST_SECONDS = 0.2
"""Least time given to HiGHS for the LP: with limits of 0.01-0.05 s its interior point method
was seen to run to the end (2-3 s) regardless."""


@dataclass
class NodeBound:
    """Dual bound, best node-level value found (inf if none), (nodes, E) replicas of it."""

    bound: float
    value: float
    rep: np.ndarray | None


class _Columns:
    """Column indices of the MILP's variables."""

    def __init__(self, K: np.ndarray, nodes: int, per_node: int) -> None:
        E = len(K)
        self.nodes, self.per_node = nodes, per_node
        self.zk = [(e, k) for e in range(E) for k in range(1, int(K[e]) + 1)]
        self.z = {ek: i for i, ek in enumerate(self.zk)}
        base = len(self.zk)
        self.y = {
            (n, e, k): base + i * nodes + n
            for i, (e, k) in enumerate(self.zk)
            for n in range(nodes)
        }
        base += len(self.zk) * nodes
        self.s = {(n, e): base + e * nodes + n for e in range(E) for n in range(nodes)}
        self.t = base + E * nodes
        self.count = self.t + 1


Rows = list[tuple[list[tuple[int, float]], float, float]]
"""Sparse rows of the model: (column, coefficient) entries, lower and upper bound."""


@dataclass
class _Model:
    """The node-level model of one layer: rows, columns, count buckets and loads."""

    rows: Rows
    col: _Columns
    K: np.ndarray
    w: np.ndarray

    def matrix(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        r = [i for i, (ent, _, _) in enumerate(self.rows) for _ in ent]
        c = [j for ent, _, _ in self.rows for j, _ in ent]
        v = [x for ent, _, _ in self.rows for _, x in ent]
        A = sp.csr_matrix((v, (r, c)), shape=(len(self.rows), self.col.count))
        lo = np.array([x[1] for x in self.rows], dtype=float)
        hi = np.array([x[2] for x in self.rows], dtype=float)
        return A, lo, hi

    def column_bounds(self, upper: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """(upper bounds, integrality) of the columns; counts whose replicas exceed `upper` (a
        value some placement reaches, so the optimum's replicas are below it) are ruled out."""
        ub = np.full(self.col.count, np.inf)
        integ = np.ones(self.col.count)
        for (e, k), j in self.col.z.items():
            ub[j] = 0 if self.w[e] / k > upper * (1 + 1e-9) else 1
        for (_, e, k), j in self.col.y.items():
            ub[j] = k if k < self.K[e] else np.inf
        for (_, e), j in self.col.s.items():
            ub[j], integ[j] = self.w[e], 0
        integ[self.col.t] = 0
        return ub, integ

    def objective(self) -> np.ndarray:
        """Minimise T, the largest node load per GPU (or replica)."""
        obj = np.zeros(self.col.count)
        obj[self.col.t] = 1.0
        return obj

    def replicas(self, x: np.ndarray) -> np.ndarray:
        """(nodes, E) replicas per node of a solution `x` (fractional for the LP's)."""
        rep = np.zeros((self.col.nodes, len(self.K)))
        for (n, e, _), j in self.col.y.items():
            rep[n, e] += x[j]
        return rep


def _model(
    w: np.ndarray,
    group_size: int,
    nodes: int,
    gpus_per_node: int,
    per_gpu: int,
    known: float,
    home: np.ndarray | None = None,
) -> _Model:
    """The model; `home`: node per expert (default: group g on node g, one group per node)."""
    E, per_node = len(w), gpus_per_node * per_gpu
    spare = nodes * per_node - E
    if home is None:
        assert E == nodes * group_size, "one group per node, or homes given"
        home = np.arange(E) // group_size
    K = np.minimum(np.maximum(1, np.ceil(w / known - 1e-9)).astype(int) + EXACT_COUNTS, 1 + spare)
    exact = K == 1 + spare  # no count beyond K: the last bucket is exact too
    col = _Columns(K, nodes, per_node)
    rows: Rows = []
    for e in range(E):
        rows += _expert_rows(col, e, (int(K[e]), bool(exact[e])), float(w[e]), int(home[e]))
    for n in range(nodes):
        ys = [(col.y[n, e, k], 1.0) for e, k in col.zk]
        rows.append((ys, per_node, per_node))
        load = [(col.y[n, e, k], w[e] / k) for e, k in col.zk if k < K[e] or exact[e]]
        load += [(col.s[n, e], 1.0) for e in range(E) if not exact[e]]
        rows.append(([*load, (col.t, -float(gpus_per_node))], -np.inf, 0.0))
    return _Model(rows, col, K, w)


def node_bound(
    w: np.ndarray,
    group_size: int,
    nodes: int,
    gpus_per_node: int,
    per_gpu: int,
    known: float,
    time_limit: float,
    upper: float = np.inf,
    counts_only: bool = False,
) -> NodeBound:
    """The node-level MILP bound of one layer (loads `w` (E,), `known`: a valid bound;
    `upper`: a value some placement reaches, counts whose replicas exceed it ruled out, as in
    `node_lp`).

    `counts_only`: the count MILP, only the replica counts integral (replicas per node may be
    fractional), a relaxation of the MILP and so a lower bound between the LP and the MILP. On
    the hottest layers of the `deepseek-v3` preset at EP64 HiGHS solved it in 20-60 s (layer 48:
    not in 120 s), with `upper` the heuristic's value, to what the MILP's dual bound reached in
    120 s or more (layer 34: 1.0170 against 1.0158-1.0160; 14: 1.0388 against 1.0388; 13:
    1.0027 against 1.0027, units of the average GPU load): the LP's fractional counts let a
    single, too-large replica mix with smaller ones, and integral counts rule that out."""
    model = _model(w, group_size, nodes, gpus_per_node, per_gpu, known)
    return _solve(model, time_limit, upper, counts_only)


@dataclass
class NodeLP:
    """The LP relaxation's optimum (a lower bound; `known` where not solved in time) and its
    (nodes, E) fractional replicas (None where not solved)."""

    bound: float
    replicas: np.ndarray | None


def node_lp(
    w: np.ndarray,
    group_size: int,
    nodes: int,
    gpus_per_node: int,
    per_gpu: int,
    known: float,
    time_limit: float,
    upper: float = np.inf,
    home: np.ndarray | None = None,
) -> NodeLP:
    """The LP relaxation of `node_bound`'s MILP (interior point, then crossover), in about 2 s
    at 256 experts instead of 20-120 s. `upper` (at least `known`): a value some placement
    reaches; counts whose replicas exceed it are ruled out (the optimum has none), which the
    LP's fractional counts otherwise dodge: on the hottest `deepseek-v3` layers at EP64 the
    bound is then within about 0.1 % of the MILP's (docs/placement.md). Only a solved LP is a
    bound (inf: no placement keeps every replica under `upper`); `time_limit` counts the
    model's building, and below `LP_LEAST_SECONDS` nothing is tried. `home`: node per expert
    (several groups per node: then a bound for that grouping only, see `grouping_bound`)."""
    end = time.monotonic() + time_limit
    model = _model(w, group_size, nodes, gpus_per_node, per_gpu, known, home)
    left = end - time.monotonic()
    if left < LP_LEAST_SECONDS:
        return NodeLP(known, None)
    A, lo, hi = model.matrix()
    ub, _ = model.column_bounds(upper)
    eq = lo == hi
    below, above = np.isfinite(hi) & ~eq, np.isfinite(lo) & ~eq
    res = linprog(
        model.objective(),
        A_ub=sp.vstack([A[below], -A[above]]),
        b_ub=np.concatenate([hi[below], -lo[above]]),
        A_eq=A[eq],
        b_eq=hi[eq],
        bounds=np.column_stack([np.zeros(model.col.count), ub]),
        method="highs-ipm",
        options={"time_limit": left},
    )
    if res.status == 2:  # infeasible: no placement keeps every replica under `upper`
        return NodeLP(np.inf, None)
    if res.status != 0 or res.x is None:
        return NodeLP(known, None)
    return NodeLP(max(known, float(res.fun)), model.replicas(res.x))


def groupings(groups: int, per_node: int) -> list[np.ndarray]:
    """Every way to put `groups` groups on interchangeable nodes, `per_node` each: node per
    group (105 for 8 groups in pairs)."""
    if groups == 0:
        return [np.zeros(0, dtype=np.int64)]
    out = []
    for mates in itertools.combinations(range(1, groups), per_node - 1):
        rest = [g for g in range(1, groups) if g not in mates]
        for sub in groupings(len(rest), per_node):
            node = np.empty(groups, dtype=np.int64)
            node[[0, *mates]] = 0
            node[rest] = sub + 1
            out.append(node)
    return out


def grouping_bound(
    w: np.ndarray,
    group_size: int,
    shape: tuple[int, int, int],
    known: float,
    upper: float,
    time_limit: float,
) -> float:
    """With several groups per node: the least `node_lp` over every grouping (the optimum's
    grouping is one of them, so the least is a bound). `shape`: nodes, GPUs per node, slots
    per GPU; `upper`: a value some placement reaches. `known` when time runs out first. For
    judging the heuristic: 105 LPs for 8 groups on 4 nodes (about 3.5 minutes)."""
    groups, nodes = len(w) // group_size, shape[0]
    end = time.monotonic() + time_limit
    best = np.inf
    for node in groupings(groups, groups // nodes):
        left = end - time.monotonic()
        lp = node_lp(w, group_size, *shape, known, left, upper, np.repeat(node, group_size))
        if lp.replicas is None and lp.bound != np.inf:  # not solved in time
            return known
        best = min(best, lp.bound)
    return max(known, best)


def _expert_rows(col: _Columns, e: int, bucket: tuple[int, bool], w_e: float, home: int) -> Rows:
    """Expert e's rows: one count; y[., e, k] sums to k for the chosen count k (at least
    `top` in the open last bucket, whose loads s[., e] sum to w_e with at most w_e / top per
    replica), none otherwise; a replica on the home node; every replica under T. `bucket`:
    (top, exact), exact when no count can exceed top."""
    (top, exact), nodes = bucket, col.nodes
    rows = [([(col.z[e, k], 1.0) for k in range(1, top + 1)], 1.0, 1.0)]
    for k in range(1, top + 1):
        ys = [(col.y[n, e, k], 1.0) for n in range(nodes)]
        rows.append(([*ys, (col.z[e, k], -float(k))], 0.0, 0.0 if k < top or exact else np.inf))
        rows.append(([(col.y[home, e, k], 1.0), (col.z[e, k], -1.0)], 0.0, np.inf))
        rows.append(([(col.z[e, k], w_e / k), (col.t, -1.0)], -np.inf, 0.0))
    if exact:
        return rows
    rows.append(([(col.s[n, e], 1.0) for n in range(nodes)] + [(col.z[e, top], -w_e)], 0, 0))
    for n in range(nodes):
        rows.append(([(col.s[n, e], 1.0), (col.y[n, e, top], -w_e / top)], -np.inf, 0.0))
        # no replica in the open bucket unless it holds the count: a replica that carries no
        # load must not fill a slot
        rows.append(([(col.y[n, e, top], 1.0), (col.z[e, top], -float(col.per_node))], -np.inf, 0))
    return rows


def _solve(
    model: _Model, time_limit: float, upper: float = np.inf, counts_only: bool = False
) -> NodeBound:
    """HiGHS on the model; with `counts_only` the replicas per node are continuous (no
    node-level placement then: `rep` is None)."""
    A, lo, hi = model.matrix()
    ub, integ = model.column_bounds(upper)
    if counts_only:
        integ[list(model.col.y.values())] = 0
    res = milp(
        model.objective(),
        constraints=LinearConstraint(A, lo, hi),
        integrality=integ,
        bounds=Bounds(np.zeros(model.col.count), ub),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-7},
    )
    bound = float(getattr(res, "mip_dual_bound", None) or 0.0)
    if res.x is None or counts_only:
        return NodeBound(bound, np.inf if res.x is None else float(res.fun), None)
    rep = np.round(model.replicas(res.x)).astype(np.int64)
    return NodeBound(bound, float(res.x[model.col.t]), rep)
