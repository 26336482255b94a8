"""Arc elimination against the upper bound, for SSDP stages 2 and 3.

For multipliers mu, a schedule of cost c is a path of reduced cost c - sum(mu), for any mu.
So an arc i -> k at time t through which no path (without 2-cycles) has reduced cost within
`limit` = UB - 1 - sum(mu) lies on no schedule better than UB, whatever the multipliers: it
is removed from the graph for good. The least path through the arc is the forward value at
(t - p_k, i) not reached from k, plus k's cost at t, plus the backward value at (t, k) not
continuing with i. Removing arcs at the many multipliers of the subgradient steps shrinks the
graph far more than at the last ones alone (Tanaka, Fujikuma & Araki 2009 eliminate states
this way), so that the stage-2 bound often reaches UB (wt40 #14: 1.36 million arcs down to
32 thousand after 44 steps, and proven), and stage 3 starts from a small graph.

Stage 3's passes test arcs more strictly (`by_passes`): a path must then also run each job of
the modifier set once. What they remove lifts the stage-2 bound when its steps resume.
"""

from __future__ import annotations

import numpy as np

from schedkit.models.tardiness import ssdp_kernels
from schedkit.models.tardiness.ssdp_arcs import arc_lists
from schedkit.models.tardiness.ssdp_dp import Table, backward, forward
from schedkit.models.tardiness.ssdp_graph import Graph
from schedkit.models.tardiness.ssdp_states import States

LIMIT_SLACK = 1e-9
"""Relative slack on the limit (float rounding: keeping an arc is always safe)."""


def elimination_limit(upper: int, mu: np.ndarray) -> float:
    """The most reduced cost of a path of a schedule that costs at most UB - 1."""
    return upper - 1 - float(mu.sum()) + LIMIT_SLACK * (1.0 + abs(upper))


def eliminate(g: Graph, mu: np.ndarray, upper: int, ahead: Table | None = None) -> int:
    """Remove, in `g.forbidden`, the arcs on no path within the limit at `mu`; how many.
    `ahead`: the forward table at `mu` on this graph, where the caller has it."""
    ahead = forward(g, mu) if ahead is None else ahead
    after = backward(g, mu)
    limit = elimination_limit(upper, mu)
    cost = g.cost - mu
    lists = arc_lists(g) if g.compiled and ssdp_kernels.available() else None
    if lists is not None:
        removed = int(ssdp_kernels.eliminate_lists(cost, g.forbidden, g.source, lists.ahead_ptr,
                                                   lists.ahead_prev, ahead.arrays(),
                                                   after.arrays(), limit))  # fmt: skip
    elif g.compiled and ssdp_kernels.available():
        removed = int(ssdp_kernels.eliminate_rows(cost, g.forbidden, g.source, ahead.arrays(),
                                                  after.arrays(), limit))  # fmt: skip
    else:
        removed = eliminate_numpy(g, cost, ahead, after, limit)
    if removed:
        g.touched()
    return removed


def eliminate_numpy(g: Graph, cost: np.ndarray, ahead: Table, after: Table, limit: float) -> int:
    """`eliminate` one time row at a time (the same arcs as the compiled loop)."""
    n = g.problem.n
    nxt, prev = np.arange(n)[:, None], np.arange(n + 1)[None, :]
    removed = 0
    for t in range(1, g.horizon + 1):
        s = g.source[t][:, None]
        f = np.where(ahead.via[s, prev] == nxt, ahead.second[s, prev], ahead.best[s, prev])
        b = np.where(after.via[t, :n, None] == prev, after.second[t, :n, None],
                     after.best[t, :n, None])  # fmt: skip
        with np.errstate(invalid="ignore"):
            out = ~g.forbidden[t] & ~(f + cost[t, :n, None] + b <= limit)
        removed += int(out.sum())
        g.forbidden[t] |= out
    return removed


def by_passes(g: Graph, ahead: States, back: States, width: int, limit: float) -> int:
    """Remove the arcs that no schedule better than UB uses, by two stage-3 passes at the same
    multipliers and modifier set (`width` bits): `ahead` forward in time, `back` over the
    reversed graph. Arc i -> k with k starting at s is kept only if a forward state of (s, i)
    and a backward state of k starting at s have complementary modifier bits and, without a
    2-cycle at the joint, a value within `limit` together. Neither pass stores a state on no
    such path, so the test holds for any multipliers, as in `eliminate`. Compiled only (where
    the loops may not run compiled, nothing is removed); how many arcs went."""
    if not (g.compiled and ssdp_kernels.available()):
        return 0
    fields = ("mask", "best", "second", "via")
    one = (ahead.node, *(ahead[f][: ahead.size] for f in fields))
    two = (back.node, *(back[f][: back.size] for f in fields))
    full = (1 << width) - 1
    removed = int(ssdp_kernels.join_rows(g.forbidden, g.problem.p, one, two, full, limit))
    if removed:
        g.touched()
    return removed
