"""A lower bound for `group_local: primary`: every group's home node carries its home replicas.

With replica counts c, the node holding group G carries at least sum over e in G of w_e / c_e
(one replica of each expert of G), and a GPU carries at least one replica of w_e / c_e. For a
target largest GPU load T, the least number of redundant replicas group G needs is therefore
r_G(T): start from c_e = max(1, ceil(w_e / T)), then add replicas in order of the largest
decrease w_e / c - w_e / (c + 1) until the home load fits `gpus_per_node` x T (the decreases
of one expert shrink as c grows, so this order is optimal). Every group needs its own home
node, so T is infeasible when sum_G r_G(T) exceeds the redundant slots; the bound is the least
feasible T (bisection). It ignores what else the home node holds, so it is valid whatever the
number of groups per node.

With at most one group per node (`transfer_bound`), the free slots bind as well: the nodes of
the hottest groups can only shed load through replicas in the other nodes' free slots.
"""

from __future__ import annotations

import numpy as np

STEPS = 40
"""Bisection steps (relative precision about 1e-12 of the starting interval)."""


def extras_needed(w: np.ndarray, cap: float, top: float, most: int) -> float:
    """Least redundant replicas of experts `w` (one group) so that no replica exceeds `top`
    and the home replicas sum to at most `cap`; inf when `most` do not suffice."""
    c = np.maximum(1.0, np.ceil(w / top - 1e-9))
    used = float(c.sum()) - len(w)
    excess = float((w / c).sum()) - cap * (1 + 1e-12)
    if excess <= 0:
        return used
    k = np.arange(most + 1)[None, :]
    gains = (w[:, None] / (c[:, None] + k) - w[:, None] / (c[:, None] + k + 1)).ravel()
    gains = np.sort(gains)[::-1][: max(0, most - int(used))]
    done = np.searchsorted(np.cumsum(gains), excess)  # first prefix removing the excess
    return used + done + 1 if done < len(gains) else np.inf


def primary_bound(
    w: np.ndarray, group_size: int, gpus_per_node: int, slots: int, lo: float
) -> float:
    """The least T >= `lo` with sum_G r_G(T) <= redundant slots (`lo`: a known bound)."""
    groups = w.reshape(-1, group_size)
    spare = slots - w.size

    def fits(t: float) -> bool:
        need = 0.0
        for g in groups:
            need += extras_needed(g, gpus_per_node * t, t, spare)
            if need > spare:
                return False
        return True

    if lo <= 0 or fits(lo):
        return lo
    hi = max(lo, float(groups.sum(axis=1).max()) / gpus_per_node, float(w.max()))
    while not fits(hi):
        hi *= 2
    for _ in range(STEPS):
        mid = 0.5 * (lo + hi)
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return lo


def movable(w: np.ndarray, slots: int) -> float:
    """Most load that `slots` replicas placed away from the home node can take off experts
    `w`: m replicas of e elsewhere (count m + 1 at best) carry m w_e / (m + 1); the gain of
    each further replica, w_e / ((m + 1)(m + 2)), shrinks, so the largest gains are taken."""
    if slots <= 0 or not w.size:
        return 0.0
    m = np.arange(slots)[None, :]
    gains = (w[:, None] / ((m + 1) * (m + 2))).ravel()
    take = min(slots, gains.size)
    return float(np.partition(gains, gains.size - take)[gains.size - take :].sum())


def transfer_bound(
    w: np.ndarray, group_size: int, gpus_per_node: int, slots_per_node: int, nodes: int
) -> float:
    """With at most one group per node: for the q nodes holding the q heaviest groups, their
    load is at least those groups' load minus what the free slots of the other nodes can take
    (`movable`), so T >= that / (q x gpus_per_node); the largest over q."""
    groups = w.reshape(-1, group_size)
    order = np.argsort(-groups.sum(axis=1), kind="stable")
    best = 0.0
    for q in range(1, len(groups) + 1):
        hot = groups[order[:q]].ravel()
        outside = (nodes - q) * slots_per_node - (len(groups) - q) * group_size
        kept = float(hot.sum()) - movable(hot, outside)
        best = max(best, kept / (q * gpus_per_node))
    return best
