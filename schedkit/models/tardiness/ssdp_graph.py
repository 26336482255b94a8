"""The time-indexed graph of SSDP stages 2 and 3 (Tanaka, Fujikuma & Araki 2009), no idle time.

A node (t, k) says that job k completes at time t; the start is a virtual job `n` completing
at 0. An arc (t - p_k, i) -> (t, k) runs k right after i. Stage 2 drops the arcs that the
adjacent pairwise interchange rules out: i then k is forbidden at completion time t when
k then i, over the same interval, costs less, or the same with k < i. Some optimal schedule
satisfies every such rule at once (the optimal schedule that comes first in lexicographic
order of job indices), so the relaxation over the remaining arcs still bounds the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schedkit.models.tardiness.problem import TardinessProblem

MAX_TABLE = 64_000_000
"""Largest (horizon x n x n) arc table (bytes, one per arc; two are built, one per direction;
wt100-like instances, n = 100 with p_j <= 100, need about 51 MB)."""
CHUNK = 128
"""Time rows of the arc table computed at once (bounds the temporaries' memory)."""


def tardy(w: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
    """w max(0, c - d), broadcast."""
    return w * np.maximum(0, c - d)


def forbidden_rows(problem: TardinessProblem, times: np.ndarray) -> np.ndarray:
    """(len(times), n, n + 1) bool: arc i -> k (index [t, k, i]) forbidden at completion t of k.

    Column n is the start: never forbidden. The diagonal (k after k) always is.
    """
    p, d, w = problem.p, problem.d, problem.w
    n = problem.n
    t = times[:, None, None]
    pk, dk, wk = p[None, :, None], d[None, :, None], w[None, :, None]
    pi, di, wi = p[None, None, :], d[None, None, :], w[None, None, :]
    s = t - pk - pi  # start of i when i runs first
    first = tardy(wi, di, s + pi) + tardy(wk, dk, t)
    swapped = tardy(wk, dk, s + pk) + tardy(wi, di, t)
    ahead = np.arange(n)[None, :, None] < np.arange(n)[None, None, :]  # k < i
    out = np.zeros((len(times), n, n + 1), dtype=bool)
    out[:, :, :n] = (first > swapped) | ((first == swapped) & ahead)
    out[:, np.arange(n), np.arange(n)] = True
    return out


@dataclass(frozen=True)
class Graph:
    """Costs and arcs of one instance: the tables the dynamic programs read."""

    problem: TardinessProblem
    horizon: int
    cost: np.ndarray
    """(H + 2, n): w_k max(0, t - d_k) at row t; row H + 1 (unreachable) is +inf."""
    forbidden: np.ndarray
    """(H + 1, n, n + 1): see `forbidden_rows`."""
    source: np.ndarray
    """(H + 1, n): t - p_k at row t, or H + 1 where negative (a row of +inf values)."""
    compiled: bool = True
    """Whether the dynamic programs may run their compiled loops (`ssdp_kernels`)."""
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What is derived from `forbidden` (`ssdp_arcs.arc_lists`); dropped by `touched`."""

    def touched(self) -> None:
        """Say that `forbidden` changed (arcs were removed, never added): what was derived
        goes, but the arc lists stay as "stale", a superset of the arcs left to filter."""
        stale = self.cache.get("lists") or self.cache.get("stale")
        self.cache.clear()
        if stale is not None:
            self.cache["stale"] = stale

    @staticmethod
    def arcs(problem: TardinessProblem) -> int:
        """Cells of the arc table: (sum(p) + 1) x n x (n + 1)."""
        return (int(problem.p.sum()) + 1) * problem.n * (problem.n + 1)

    @staticmethod
    def fits(problem: TardinessProblem) -> bool:
        """Whether the arc table stays within `MAX_TABLE` (and there are no release dates)."""
        return not problem.has_releases and Graph.arcs(problem) <= MAX_TABLE

    @classmethod
    def of(cls, problem: TardinessProblem, compiled: bool = True) -> Graph:
        horizon = int(problem.p.sum())
        t = np.arange(horizon + 2)[:, None]
        cost = tardy(problem.w, problem.d, t).astype(float)
        cost[horizon + 1] = np.inf
        forbidden = np.empty((horizon + 1, problem.n, problem.n + 1), dtype=bool)
        for lo in range(0, horizon + 1, CHUNK):
            rows = np.arange(lo, min(lo + CHUNK, horizon + 1))
            forbidden[rows] = forbidden_rows(problem, rows)
        source = t[: horizon + 1] - problem.p
        source[source < 0] = horizon + 1
        return cls(problem, horizon, cost, forbidden, source, compiled)


def reversed_graph(g: Graph) -> Graph:
    """The same paths run from the horizon back to 0: node (u, k) is job k starting at H - u.

    A job then costs w_k max(0, H - u + p_k - d_k), and the arc i -> k at u is the original
    arc k -> i with i completing at H - u + p_k + p_i.
    """
    h, p, n = g.horizon, g.problem.p, g.problem.n
    u = np.arange(h + 2)[:, None]
    end = np.clip(h - u + p, 0, h + 1)
    cost = g.cost[end, np.arange(n)]
    cost[u[:, 0] < 0] = np.inf
    cost[end > h] = np.inf
    forbidden = np.ones((h + 1, n, n + 1), dtype=bool)
    forbidden[:, :, n] = False
    k, i = np.arange(n)[None, :, None], np.arange(n)[None, None, :]
    for lo in range(0, h + 1, CHUNK):
        rows = np.arange(lo, min(lo + CHUNK, h + 1))
        t = h - rows[:, None, None] + p[k] + p[i]
        forbidden[rows, :, :n] = (t > h) | g.forbidden[np.minimum(t, h), i, k]
    source = u[: h + 1] - p
    source[source < 0] = h + 1
    return Graph(g.problem, h, cost, forbidden, source, g.compiled)
