"""Forward and backward dynamic programs of SSDP stage 2 over the graph of `ssdp_graph.py`.

The state is (t, last job). Each node keeps its best value with the job before it, and the
best value reached from another job, so that no path runs i -> k -> i (a 2-cycle): a node
extended to job i uses its second value when its best came from i. The loops run compiled
(`ssdp_kernels.py`) where the graph allows it, over the lists of the arcs left
(`ssdp_arcs.py`) once few are; otherwise each time step is one set of numpy operations over
(next job, previous job), so the Python loop runs H times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedkit.models.tardiness import ssdp_kernels
from schedkit.models.tardiness.ssdp_arcs import arc_lists
from schedkit.models.tardiness.ssdp_graph import Graph

INF = np.inf


@dataclass(frozen=True)
class Table:
    """Best and second values per node, with the neighbour job each one came from."""

    best: np.ndarray
    second: np.ndarray
    via: np.ndarray
    """Job before (forward) or after (backward) the best value; -1 for none."""
    via2: np.ndarray

    @classmethod
    def empty(cls, rows: int, cols: int) -> Table:
        full = np.full((rows, cols), INF)
        return cls(full, full.copy(), np.full((rows, cols), -1), np.full((rows, cols), -1))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The four tables, for the compiled loops to fill in place."""
        return self.best, self.second, self.via, self.via2

    def store(self, t: int, v: np.ndarray, add: np.ndarray, width: int) -> None:
        """Row t from candidates v (node x neighbour): the best, and the best of another."""
        rows = np.arange(len(v))
        i1 = v.argmin(1)
        b1 = v[rows, i1]
        v[rows, i1] = INF
        i2 = v.argmin(1)
        self.best[t, :width] = b1 + add
        self.second[t, :width] = v[rows, i2] + add
        self.via[t, :width] = i1
        self.via2[t, :width] = i2


def forward(g: Graph, mu: np.ndarray) -> Table:
    """f(t, k): least reduced cost of a path from the start that ends with k completing at t."""
    n, h = g.problem.n, g.horizon
    tab = Table.empty(h + 2, n + 1)
    tab.best[0, n] = 0.0
    cost = g.cost - mu
    if g.compiled and ssdp_kernels.available():
        lists = arc_lists(g)
        if lists is None:
            ssdp_kernels.forward_rows(cost, g.forbidden, g.source, tab.arrays())
        else:
            ssdp_kernels.forward_lists(cost, g.source, lists.ahead_ptr, lists.ahead_prev,
                                       tab.arrays())  # fmt: skip
        return tab
    nxt = np.arange(n)[:, None]
    for t in range(1, h + 1):
        s = g.source[t]
        v = np.where(tab.via[s] == nxt, tab.second[s], tab.best[s])
        v[g.forbidden[t]] = INF
        tab.store(t, v, cost[t], n)
    return tab


def backward(g: Graph, mu: np.ndarray) -> Table:
    """b(t, k): least reduced cost of the jobs after k, k completing at t, up to the horizon."""
    n, h = g.problem.n, g.horizon
    tab = Table.empty(h + 2, n + 1)
    tab.best[h, :n] = 0.0
    cost = g.cost - mu
    if g.compiled and ssdp_kernels.available():
        lists = arc_lists(g)
        if lists is None:
            ssdp_kernels.backward_rows(cost, g.forbidden, g.problem.p, tab.arrays())
        else:
            ssdp_kernels.backward_lists(cost, g.problem.p, lists.back_ptr, lists.back_next,
                                        tab.arrays())  # fmt: skip
        return tab
    jobs = np.arange(n)
    prev = np.arange(n + 1)[:, None]
    for t in range(h - 1, -1, -1):
        end = np.minimum(t + g.problem.p, h + 1)
        b1 = tab.best[end, jobs] + cost[end, jobs]
        b2 = tab.second[end, jobs] + cost[end, jobs]
        v = np.where(tab.via[end, jobs] == prev, b2, b1)
        v[g.forbidden[np.minimum(end, h), jobs].T] = INF
        tab.store(t, v, np.zeros(n + 1), n + 1)
    return tab


def best_path(g: Graph, tab: Table) -> tuple[float, np.ndarray]:
    """The least value at the horizon and its path's jobs, first to last."""
    p, n = g.problem.p, g.problem.n
    t = g.horizon
    k = int(tab.best[t, :n].argmin())
    value = float(tab.best[t, k])
    jobs: list[int] = []
    second = False
    while k != n and np.isfinite(value):
        jobs.append(k)
        i = int(tab.via2[t, k] if second else tab.via[t, k])
        t -= int(p[k])
        second = i != n and int(tab.via[t, i]) == k
        k = i
    return value, np.array(jobs[::-1], dtype=np.int64)
