"""Balance-neutral traffic pass: swap replicas across nodes at no cost to the largest load.

Shared by the heuristic and the exact backends (both end with it).

With the neighbouring layers fixed, a layer's inter-node traffic is linear in the node shares
of its experts: sum over (e, n) of cost[e, n] x share[e, n], share = replicas of e on node n /
replicas of e. Swapping two replicas on GPUs of different nodes keeps every replica count, so
only the two GPUs' loads change; the pass applies the swap that lowers traffic most while both
GPUs stay within `cap` (every scenario), until none does. Under `group_local: primary` the last
replica of an expert on its home node stays on that node. Before the swaps, `permute` moves
whole GPUs (or whole nodes, when groups must stay together) to the nodes that minimise the
traffic, by linear assignment: loads do not change at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.layout import group_homes

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

EPS = 1e-9


def permute(
    place: np.ndarray, cost: np.ndarray, gpus_per_node: int, whole_nodes: bool
) -> np.ndarray:
    """The GPUs (or node blocks) of `place` reordered across nodes for the least traffic."""
    from scipy.optimize import linear_sum_assignment  # imported on use: scipy is slow to import

    G, S = place.shape
    E = cost.shape[0]
    cnt = np.bincount(place.ravel(), minlength=E).astype(float)
    per_gpu = np.zeros((G, E))
    np.add.at(per_gpu, (np.repeat(np.arange(G), S), place.ravel()), 1.0)
    per_gpu /= cnt
    unit = per_gpu @ cost  # (G, nodes): traffic of GPU g's replicas if it sat on node n
    nodes = cost.shape[1]
    if whole_nodes:
        block = unit.reshape(nodes, gpus_per_node, nodes).sum(axis=1)
        rows, cols = linear_sum_assignment(block)
        out = place.copy()
        for r, c in zip(rows, cols, strict=True):
            out[c * gpus_per_node : (c + 1) * gpus_per_node] = place[
                r * gpus_per_node : (r + 1) * gpus_per_node
            ]
        return out
    rows, cols = linear_sum_assignment(np.repeat(unit, gpus_per_node, axis=1))
    out = np.empty_like(place)
    out[cols] = place[rows]
    return out


def traffic_pass(
    w: np.ndarray,
    place: np.ndarray,
    cost: np.ndarray,
    cap: float,
    gpus_per_node: int,
    group_size: int | None,
    budget: Budget,
    strict: bool = False,
    max_swaps: int = 500,
) -> np.ndarray | None:
    """The placement after improving swaps, or None when no swap lowers the traffic.

    w: (K, E) loads; place: (G, S) experts; cost: (E, nodes) tokens crossing nodes per unit
    share; cap: largest GPU load allowed (any scenario); group_size: set under `group_local:
    primary` (each group keeps a node holding all its experts); strict: whole groups stay on one
    node (only node blocks move, no swaps)."""
    G, S = place.shape
    E = w.shape[1]
    start = place
    place = permute(place, cost, gpus_per_node, whole_nodes=strict or group_size is not None)
    if strict:
        return None if np.array_equal(place, start) else place
    home = None if group_size is None else group_homes(place, E, gpus_per_node, group_size)
    if group_size is not None and home is None:
        return None
    cnt = np.bincount(place.ravel(), minlength=E).astype(float)
    per = w / cnt  # (K, E); counts never change
    host = np.repeat(np.arange(G), S)
    node = host // gpus_per_node
    loads = per[:, place].sum(axis=2)  # (K, G)
    cross = node[:, None] != node[None, :]
    limit = cap * (1 + EPS) + EPS
    swapped = 0
    while swapped < max_swaps and not budget.expired():
        cells = place.ravel()
        here = cost[cells, node] / cnt[cells]  # (n,) traffic of each replica where it is
        # move replica i to node of j: cost[a_i, n_j] / c_a_i
        there = cost[cells][:, node] / cnt[cells][:, None]  # (n, n)
        delta = there - here[:, None]
        delta = delta + delta.T
        bad = ~cross | (cells[:, None] == cells[None, :]) | (delta >= -EPS)
        if home is not None:
            at_home = node == home[cells]
            n_home = np.bincount(cells[at_home], minlength=E)
            pinned = at_home & (n_home[cells] == 1)
            bad |= pinned[:, None] | pinned[None, :]
        if bad.all():
            break
        # loads after the swap: GPU of i gets a_j instead of a_i, and vice versa
        pi, pj = per[:, cells][:, :, None], per[:, cells][:, None, :]
        li = loads[:, host][:, :, None] - pi + pj
        lj = loads[:, host][:, None, :] - pj + pi
        worst = np.maximum(li.max(axis=0), lj.max(axis=0))
        bad |= worst > limit
        if bad.all():
            break
        delta = np.where(bad, np.inf, delta)
        i, j = divmod(int(np.argmin(delta)), len(cells))
        gi, si = divmod(i, S)
        gj, sj = divmod(j, S)
        a, b = int(place[gi, si]), int(place[gj, sj])
        place[gi, si], place[gj, sj] = b, a
        loads[:, gi] += per[:, b] - per[:, a]
        loads[:, gj] += per[:, a] - per[:, b]
        swapped += 1
    return place if swapped or not np.array_equal(place, start) else None
