"""Compiled inner loops of the SSDP stage-2 dynamic programs (numba), with the same results as
the numpy versions in `ssdp_dp.py`: best and second value per node, the first index of each
on ties. Each DP is O(H n^2) with a few operations per arc, where the numpy versions pay
several array calls per time step; the compiled loops are about five times faster at n = 50
(13 against 61 ms per forward DP on wt50#57).

`available()` says whether numba imported; without it `ssdp_dp.py` runs its numpy loops.
Compiled code is cached on disk, so only the first run on a machine pays the compilation.
"""

from __future__ import annotations

import numpy as np

from schedkit import compiled

available = compiled.available
Tables = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""best, second, via, via2 of `ssdp_dp.Table`."""


def _keep_two(
    v: float, i: int, b1: float, i1: int, b2: float, i2: int
) -> tuple[float, int, float, int]:
    """The least value and the least of another index, after candidate v from index i
    (candidates in increasing index: the first index wins ties, as numpy's argmin)."""
    if v < b1:
        return v, i, b1, i1
    if v < b2 or (i2 == i1 and i != i1):
        return b1, i1, v, i
    return b1, i1, b2, i2


keep_two = compiled.jit(_keep_two)


def _put(tables: Tables, t: int, k: int, found: tuple[float, int, float, int], add: float) -> None:
    """Store node (t, k): the best and second values (plus `add`) and their indices."""
    best, second, via, via2 = tables
    b1, i1, b2, i2 = found
    best[t, k], second[t, k] = b1 + add, b2 + add
    via[t, k], via2[t, k] = i1, i2


put = compiled.jit(_put)


def _forward(cost: np.ndarray, forbidden: np.ndarray, source: np.ndarray, tables: Tables) -> None:
    """Rows 1..H of the forward table in place (see `ssdp_dp.forward`)."""
    best, second, via, via2 = tables
    h, n = forbidden.shape[0] - 1, forbidden.shape[1]
    for t in range(1, h + 1):
        for k in range(n):
            s = source[t, k]
            b1, i1, b2, i2 = np.inf, 0, np.inf, 0
            for i in range(n + 1):
                v = np.inf
                if not forbidden[t, k, i]:
                    v = second[s, i] if via[s, i] == k else best[s, i]
                b1, i1, b2, i2 = keep_two(v, i, b1, i1, b2, i2)
            best[t, k], second[t, k] = b1 + cost[t, k], b2 + cost[t, k]
            via[t, k], via2[t, k] = i1, i2


def _backward(cost: np.ndarray, forbidden: np.ndarray, p: np.ndarray, tables: Tables) -> None:
    """Rows H-1..0 of the backward table in place (see `ssdp_dp.backward`)."""
    best, second, via, via2 = tables
    h, n = forbidden.shape[0] - 1, forbidden.shape[1]
    for t in range(h - 1, -1, -1):
        for k in range(n + 1):
            b1, i1, b2, i2 = np.inf, 0, np.inf, 0
            for j in range(n):
                end = min(t + p[j], h + 1)
                v = np.inf
                if not forbidden[min(end, h), j, k]:
                    v = (second[end, j] if via[end, j] == k else best[end, j]) + cost[end, j]
                b1, i1, b2, i2 = keep_two(v, j, b1, i1, b2, i2)
            best[t, k], second[t, k] = b1, b2
            via[t, k], via2[t, k] = i1, i2


forward_rows = compiled.jit(_forward)
backward_rows = compiled.jit(_backward)


def _forward_lists(
    cost: np.ndarray, source: np.ndarray, ptr: np.ndarray, prev: np.ndarray, tables: Tables
) -> None:
    """`_forward` over the arc lists of `ssdp_arcs.ArcLists` (nodes without arcs stay +inf)."""
    best, second, via, _ = tables
    h, n = source.shape[0] - 1, source.shape[1]
    for t in range(1, h + 1):
        for k in range(n):
            lo, hi = ptr[t * n + k], ptr[t * n + k + 1]
            if lo == hi:
                continue
            s = source[t, k]
            b1, i1, b2, i2 = np.inf, 0, np.inf, 0
            for e in range(lo, hi):
                i = prev[e]
                v = second[s, i] if via[s, i] == k else best[s, i]
                b1, i1, b2, i2 = keep_two(v, i, b1, i1, b2, i2)
            put(tables, t, k, (b1, i1, b2, i2), cost[t, k])


def _backward_lists(
    cost: np.ndarray, p: np.ndarray, ptr: np.ndarray, nxt: np.ndarray, tables: Tables
) -> None:
    """`_backward` over the arc lists of `ssdp_arcs.ArcLists`."""
    best, second, via, _ = tables
    h, n = cost.shape[0] - 2, cost.shape[1]
    for t in range(h - 1, -1, -1):
        for k in range(n + 1):
            lo, hi = ptr[t * (n + 1) + k], ptr[t * (n + 1) + k + 1]
            if lo == hi:
                continue
            b1, i1, b2, i2 = np.inf, 0, np.inf, 0
            for e in range(lo, hi):
                j = nxt[e]
                end = t + p[j]
                v = (second[end, j] if via[end, j] == k else best[end, j]) + cost[end, j]
                b1, i1, b2, i2 = keep_two(v, j, b1, i1, b2, i2)
            put(tables, t, k, (b1, i1, b2, i2), 0.0)


forward_lists = compiled.jit(_forward_lists)
backward_lists = compiled.jit(_backward_lists)


def _arc_out(cost: np.ndarray, source: np.ndarray, ahead: Tables, after: Tables, t: int, k: int,
             i: int, limit: float) -> bool:  # fmt: skip
    """Whether the least path over arc i -> k (k completing at t) exceeds `limit`."""
    fb, fs, fv, _ = ahead
    bb, bs, bv, _ = after
    s = source[t, k]
    f = fs[s, i] if fv[s, i] == k else fb[s, i]
    b = bs[t, k] if bv[t, k] == i else bb[t, k]
    return not f + cost[t, k] + b <= limit


arc_out = compiled.jit(_arc_out)


def _eliminate(
    cost: np.ndarray,
    forbidden: np.ndarray,
    source: np.ndarray,
    ahead: Tables,
    after: Tables,
    limit: float,
) -> int:
    """Forbid in place the arcs whose least path exceeds `limit` (see
    `ssdp_elimination.eliminate`); how many."""
    h, n = forbidden.shape[0] - 1, forbidden.shape[1]
    removed = 0
    for t in range(1, h + 1):
        for k in range(n):
            for i in range(n + 1):
                if not forbidden[t, k, i] and arc_out(cost, source, ahead, after, t, k, i, limit):
                    forbidden[t, k, i] = True
                    removed += 1
    return removed


eliminate_rows = compiled.jit(_eliminate)


def _eliminate_lists(
    cost: np.ndarray,
    forbidden: np.ndarray,
    source: np.ndarray,
    ptr: np.ndarray,
    prev: np.ndarray,
    ahead: Tables,
    after: Tables,
    limit: float,
) -> int:
    """`_eliminate` over the arc lists of `ssdp_arcs.ArcLists` (the same arcs go)."""
    n = forbidden.shape[1]
    removed = 0
    for node in range(n, len(ptr) - 1):  # times 1..H, as `_eliminate`
        t, k = node // n, node % n
        for e in range(ptr[node], ptr[node + 1]):
            if arc_out(cost, source, ahead, after, t, k, prev[e], limit):
                forbidden[t, k, prev[e]] = True
                removed += 1
    return removed


eliminate_lists = compiled.jit(_eliminate_lists)


def _kept_ahead(forbidden: np.ndarray, ptr: np.ndarray, prev: np.ndarray,
                new_ptr: np.ndarray, new_prev: np.ndarray) -> int:  # fmt: skip
    """Copy into `new_ptr` / `new_prev` the entries of forward lists whose arc is still
    allowed (node t * n + k, entry i: arc i -> k at t); how many."""
    n = forbidden.shape[1]
    out = 0
    for node in range(len(ptr) - 1):
        new_ptr[node] = out
        t, k = node // n, node % n
        for e in range(ptr[node], ptr[node + 1]):
            if not forbidden[t, k, prev[e]]:
                new_prev[out] = prev[e]
                out += 1
    new_ptr[len(ptr) - 1] = out
    return out


def _kept_back(forbidden: np.ndarray, p: np.ndarray, ptr: np.ndarray, nxt: np.ndarray,
               new_ptr: np.ndarray, new_nxt: np.ndarray) -> int:  # fmt: skip
    """`_kept_ahead` for backward lists (node tail * (n + 1) + i, entry k: arc i -> k with
    k completing at tail + p_k)."""
    n1 = forbidden.shape[2]
    out = 0
    for node in range(len(ptr) - 1):
        new_ptr[node] = out
        tail, i = node // n1, node % n1
        for e in range(ptr[node], ptr[node + 1]):
            k = nxt[e]
            if not forbidden[tail + p[k], k, i]:
                new_nxt[out] = k
                out += 1
    new_ptr[len(ptr) - 1] = out
    return out


kept_ahead = compiled.jit(_kept_ahead)
kept_back = compiled.jit(_kept_back)

Pass = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""node, mask, best, second, via of a stage-3 pass's `States`."""


def _arc_kept(ahead: Pass, back: Pass, s: int, i: int, k: int, u: int, full: int,
              limit: float) -> bool:  # fmt: skip
    """Whether some forward state of (s, i) and backward state of (u, k) with the other
    modifier bits make a path within `limit` over the arc i -> k (k starting at s)."""
    fnode, fmask, fbest, fsecond, fvia = ahead
    bnode, bmask, bbest, bsecond, bvia = back
    blo, bhi = bnode[u, k], bnode[u, k + 1]
    for x in range(fnode[s, i], fnode[s, i + 1]):
        want = full ^ fmask[x]
        y = blo + np.searchsorted(bmask[blo:bhi], want)
        if y < bhi and bmask[y] == want:
            f = fsecond[x] if fvia[x] == k else fbest[x]
            b = bsecond[y] if bvia[y] == i else bbest[y]
            if f + b <= limit:
                return True
    return False


arc_kept = compiled.jit(_arc_kept)


def _join(
    forbidden: np.ndarray, p: np.ndarray, ahead: Pass, back: Pass, full: int, limit: float
) -> int:
    """Forbid in place the arcs that no pair of states of the two passes keeps (see
    `ssdp_elimination.by_passes`); how many."""
    h, n = forbidden.shape[0] - 1, forbidden.shape[1]
    removed = 0
    for t in range(1, h + 1):
        for k in range(n):
            s = t - p[k]
            if s < 0:
                continue
            for i in range(n + 1):
                if forbidden[t, k, i] or (i == n and s != 0):
                    continue
                if not arc_kept(ahead, back, s, i, k, h - s, full, limit):
                    forbidden[t, k, i] = True
                    removed += 1
    return removed


join_rows = compiled.jit(_join)


def warm_up() -> None:
    """Compile every loop on a tiny instance (the array types of real runs)."""
    from schedkit.models.tardiness.problem import TardinessProblem
    from schedkit.models.tardiness.ssdp_arcs import ArcLists
    from schedkit.models.tardiness.ssdp_dp import Table, backward, forward
    from schedkit.models.tardiness.ssdp_elimination import by_passes, eliminate
    from schedkit.models.tardiness.ssdp_graph import Graph, reversed_graph
    from schedkit.models.tardiness.ssdp_modifiers import Rule, modifier_pass

    g = Graph.of(TardinessProblem.from_arrays(p=[2, 3, 1], d=[2, 3, 4], w=[1, 2, 3]))
    mu = np.zeros(g.problem.n)
    forward(g, mu)
    found = []
    for x in (g, reversed_graph(g)):
        rule = Rule.of([0], 3, backward(x, mu).best, 1e9, g.horizon, None)
        found.append(modifier_pass(x, mu, rule, None, 2**24))
    by_passes(g, found[0].store, found[1].store, 1, 1e9)
    eliminate(g, mu, 10)
    lists = ArcLists.of(g)
    tables = Table.empty(g.horizon + 2, 4)
    forward_lists(g.cost, g.source, lists.ahead_ptr, lists.ahead_prev, tables.arrays())
    backward_lists(g.cost, g.problem.p, lists.back_ptr, lists.back_next, tables.arrays())
    eliminate_lists(g.cost, g.forbidden, g.source, lists.ahead_ptr, lists.ahead_prev,
                    tables.arrays(), tables.arrays(), 1e9)  # fmt: skip
    lists.kept(g)
