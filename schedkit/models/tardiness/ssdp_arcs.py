"""The arcs left in an SSDP graph, as lists per node, for the compiled dynamic programs.

Arc elimination (`ssdp_elimination.py`) removes 95-99 % of the arcs of wt40 / wt50 graphs, but
the dense loops still test every (time, job, previous job) cell. Once few arcs are left the
compiled loops run over these lists instead: per node (t, k) the previous jobs i of its arcs
(forward), and per tail (t, i) the next jobs k (backward), each in increasing job order, so
ties break as in the dense loops and the values are the same. After each elimination
(`Graph.touched`) the previous lists are filtered down to the arcs left, in time linear in
their length, rather than rebuilt from the dense table (a scan of every cell).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedkit.models.tardiness import ssdp_kernels
from schedkit.models.tardiness.ssdp_graph import Graph

SPARSE_SHARE = 0.25
"""Largest share of arcs left at which the lists pay (building them costs a sort)."""


@dataclass(frozen=True)
class ArcLists:
    """CSR lists: `ahead_ptr[t * n + k]` .. `[+ 1]` index `ahead_prev` (previous jobs of node
    (t, k)); `back_ptr[t * (n + 1) + i]` .. `[+ 1]` index `back_next` (next jobs after i
    completing at t, the start n included)."""

    ahead_ptr: np.ndarray
    ahead_prev: np.ndarray
    back_ptr: np.ndarray
    back_next: np.ndarray

    @classmethod
    def of(cls, g: Graph) -> ArcLists:
        n, h = g.problem.n, g.horizon
        t, k, i = np.nonzero(~g.forbidden)  # in (t, k, i) order
        ahead_ptr = np.searchsorted(t * n + k, np.arange((h + 1) * n + 1))
        tail = t - g.problem.p[k]
        ok = tail >= 0
        key = tail[ok] * (n + 1) + i[ok]
        order = np.lexsort((k[ok], key))
        back_ptr = np.searchsorted(key[order], np.arange((h + 1) * (n + 1) + 1))
        return cls(ahead_ptr, i.astype(np.int64), back_ptr, k[ok][order].astype(np.int64))

    def kept(self, g: Graph) -> ArcLists:
        """These lists less the arcs `g` forbids (compiled; the same lists as `of`)."""
        ahead_ptr, ahead_prev = np.empty_like(self.ahead_ptr), np.empty_like(self.ahead_prev)
        back_ptr, back_next = np.empty_like(self.back_ptr), np.empty_like(self.back_next)
        a = ssdp_kernels.kept_ahead(g.forbidden, self.ahead_ptr, self.ahead_prev, ahead_ptr,
                                    ahead_prev)  # fmt: skip
        b = ssdp_kernels.kept_back(g.forbidden, g.problem.p, self.back_ptr, self.back_next,
                                   back_ptr, back_next)  # fmt: skip
        return ArcLists(ahead_ptr, ahead_prev[:a].copy(), back_ptr, back_next[:b].copy())


def arc_lists(g: Graph) -> ArcLists | None:
    """The lists of `g` (cached until arcs are removed), or None while more than
    `SPARSE_SHARE` of the cells are arcs (the dense loops are then as fast)."""
    if "lists" not in g.cache:
        stale = g.cache.get("stale")
        if isinstance(stale, ArcLists) and ssdp_kernels.available():
            g.cache["lists"] = stale.kept(g)
        else:
            left = np.count_nonzero(~g.forbidden)
            dense = left > SPARSE_SHARE * g.forbidden.size
            g.cache["lists"] = None if dense else ArcLists.of(g)
    lists = g.cache["lists"]
    assert lists is None or isinstance(lists, ArcLists)
    return lists
