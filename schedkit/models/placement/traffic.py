"""Balance-neutral traffic pass: swap replicas across nodes at no cost to the largest load.

Shared by the heuristic and the exact backends (both end with it).

With the neighbouring layers fixed, a layer's inter-node traffic is linear in the node shares
of its experts: sum over (e, n) of cost[e, n] x share[e, n], share = replicas of e on node n /
replicas of e. Swapping two replicas on GPUs of different nodes keeps every replica count, so
only the two GPUs' loads change; the pass applies the swap that lowers traffic most while both
GPUs stay within `cap` (every scenario), until none does; a swap that puts a GPU over the cap
is still taken when re-splitting that node's GPUs (`repartition`, replicas stay on the node,
so the traffic is unchanged) brings every GPU back under it. Under `group_local: primary` the last
replica of an expert on its home node stays on that node. Before the swaps, `permute` moves
whole GPUs (or whole nodes, when groups must stay together) to the nodes that minimise the
traffic, by linear assignment: loads do not change at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.layout import group_homes
from schedkit.models.placement.resplit import repartition, split_masks

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
    node = np.repeat(np.arange(G), S) // gpus_per_node
    limit = cap * (1 + EPS) + EPS
    masks = split_masks(S)
    swapped = 0
    while swapped < max_swaps and not budget.expired():
        delta = swap_gains(place, cost, cnt, node, home)
        gain = np.where(delta < -EPS, delta, np.inf)
        new = plain_swap(w, place, gain, cnt, limit)
        if new is None:
            new = repaired_swap(w, place, gain, cnt, limit, gpus_per_node, masks)
        if new is None:
            new = double_swap(w, place, delta, gain, cnt, limit, gpus_per_node, masks, home)
        if new is None:
            break
        place = new
        swapped += 1
    return place if swapped or not np.array_equal(place, start) else None


REPAIR_TRIES = 24
"""Most traffic-lowering swaps (best first) tried per step of the traffic pass."""


def swap_gains(
    place: np.ndarray, cost: np.ndarray, cnt: np.ndarray, node: np.ndarray, home: np.ndarray | None
) -> np.ndarray:
    """(n, n) traffic change of swapping replica i (slot-major) with replica j of another
    node; inf where not allowed (same node or expert, a last home replica). Traffic is
    linear in the replicas' nodes, so swaps of four distinct replicas add up."""
    cells = place.ravel()
    here = cost[cells, node] / cnt[cells]  # traffic of each replica where it is
    there = cost[cells][:, node] / cnt[cells][:, None]  # replica i on the node of j
    delta = there - here[:, None]
    delta = delta + delta.T
    bad = (node[:, None] == node[None, :]) | (cells[:, None] == cells[None, :])
    if home is not None:
        at_home = node == home[cells]
        n_home = np.bincount(cells[at_home], minlength=len(cnt))
        pinned = at_home & (n_home[cells] == 1)
        bad |= pinned[:, None] | pinned[None, :]
    out: np.ndarray = np.where(bad, np.inf, delta)
    return out


def plain_swap(
    w: np.ndarray, place: np.ndarray, delta: np.ndarray, cnt: np.ndarray, limit: float
) -> np.ndarray | None:
    """`place` after the swap of the largest gain in `delta` that keeps both GPUs within
    `limit`; None when there is none."""
    G, S = place.shape
    per = w / cnt
    cells, host = place.ravel(), np.repeat(np.arange(G), S)
    loads = per[:, place].sum(axis=2)[:, host]  # (K, n) load of each replica's GPU
    pi, pj = per[:, cells][:, :, None], per[:, cells][:, None, :]
    worst = np.maximum(
        (loads[:, :, None] - pi + pj).max(axis=0), (loads[:, None, :] - pj + pi).max(axis=0)
    )
    delta = np.where(worst > limit, np.inf, delta)
    flat = int(np.argmin(delta))
    if not np.isfinite(delta.flat[flat]):
        return None
    i, j = divmod(flat, G * S)
    out = place.copy()
    out.flat[i], out.flat[j] = place.flat[j], place.flat[i]
    return out


def repaired_swap(
    w: np.ndarray,
    place: np.ndarray,
    gain: np.ndarray,
    cnt: np.ndarray,
    limit: float,
    gpus_per_node: int,
    masks: np.ndarray,
) -> np.ndarray | None:
    """The best of the `REPAIR_TRIES` largest gains whose swap `swapped_within` makes fit."""
    for flat in np.argsort(gain, axis=None)[:REPAIR_TRIES]:
        if not np.isfinite(gain.flat[flat]):
            return None
        pair = divmod(int(flat), place.size)
        new = swapped_within(w, place, [pair], cnt, limit, gpus_per_node, masks)
        if new is not None:
            return new
    return None


def double_swap(
    w: np.ndarray,
    place: np.ndarray,
    delta: np.ndarray,
    gain: np.ndarray,
    cnt: np.ndarray,
    limit: float,
    gpus_per_node: int,
    masks: np.ndarray,
    home: np.ndarray | None = None,
) -> np.ndarray | None:
    """For each of the `REPAIR_TRIES` largest gains (i, j): the second swap (k, l) between
    the same two nodes that moves the load back within the nodes' room under `limit` and
    keeps the sum of both traffic changes lowest (negative), the nodes then re-split. With
    `home` (node per expert), the second swap never takes another replica of the same
    expert off its home node (both could be its last ones there)."""
    S = place.shape[1]
    cells = place.ravel()
    size = (w / cnt).max(axis=0)[place.ravel()]
    node = np.arange(place.size) // (S * gpus_per_node)
    loads = (w / cnt)[:, place].sum(axis=2).max(axis=0)
    room = (limit - loads).reshape(-1, gpus_per_node).sum(axis=1)
    for flat in np.argsort(gain, axis=None)[:REPAIR_TRIES]:
        if not np.isfinite(gain.flat[flat]):
            return None
        i, j = divmod(int(flat), place.size)
        a, b = node[i], node[j]
        ks = np.flatnonzero((node == a) & (np.arange(place.size) != i))
        ls = np.flatnonzero((node == b) & (np.arange(place.size) != j))
        if home is not None:
            ks = ks[(cells[ks] != cells[i]) | (home[cells[i]] != a)]
            ls = ls[(cells[ls] != cells[j]) | (home[cells[j]] != b)]
        shift = size[j] - size[i] + size[ls][None, :] - size[ks][:, None]  # node a's change
        total = gain.flat[flat] + delta[np.ix_(ks, ls)]
        total[(shift > room[a]) | (-shift > room[b])] = np.inf
        best = int(np.argmin(total))
        if total.flat[best] >= -EPS:
            continue
        k, m = divmod(best, len(ls))
        pairs = [(i, j), (int(ks[k]), int(ls[m]))]
        new = swapped_within(w, place, pairs, cnt, limit, gpus_per_node, masks)
        if new is not None:
            return new
    return None


def swapped_within(
    w: np.ndarray,
    place: np.ndarray,
    pairs: list[tuple[int, int]],
    cnt: np.ndarray,
    limit: float,
    gpus_per_node: int,
    masks: np.ndarray,
) -> np.ndarray | None:
    """`place` with the replicas of each pair of slots (slot-major) swapped, the nodes of a
    GPU over `limit` re-split (`repartition`); None when one still is over."""
    S = place.shape[1]
    out = place.copy()
    for i, j in pairs:
        out.flat[i], out.flat[j] = out.flat[j], out.flat[i]
    per = w / cnt
    for g in sorted({x // S for pair in pairs for x in pair}):
        if per[:, out[g]].sum(axis=1).max() <= limit:
            continue
        sl = slice(g - g % gpus_per_node, g - g % gpus_per_node + gpus_per_node)
        out[sl] = repartition(w, out[sl], cnt, masks)
        if per[:, out[sl]].sum(axis=2).max() > limit:
            return None
    return out
