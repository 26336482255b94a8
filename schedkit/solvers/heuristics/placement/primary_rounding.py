"""A node-level start for `group_local: primary` rounded from the node LP's answer.

On the hottest layers the node-level LP (`primary_relaxation.node_lp`) is within about 0.1 %
of the node-level MILP's bound, and only a few experts have fractional counts in its answer;
rounding it and searching from there (`BalanceSearch`) reaches values that the combinatorial
starts miss on some layers (docs/placement.md). Rounding: counts to the nearest integer (at
least one, none with replicas above the LP's value, total equal to the slots), each expert's
home replica first and the others by largest remainder, then replicas moved from over-full
nodes to the least loaded under-full ones.
"""

from __future__ import annotations

import numpy as np


def rounded_counts(size: np.ndarray, frac: np.ndarray, slots: int, top: float) -> np.ndarray:
    """(E,) integer replica counts near the LP's (`frac`: (nodes, E)), none of whose replicas
    exceeds `top` (the LP's value: its fractional counts may mix a single replica with many,
    which no even split does), summing to `slots`: remove the replica whose loss is smallest
    (smallest replica size after it) / add one to the expert with the largest replica."""
    least = np.ceil(size / top - 1e-9) if top > 0 else 1
    cnt = np.maximum(np.maximum(1, least), np.round(frac.sum(axis=0))).astype(np.int64)
    while cnt.sum() > slots:
        after = np.where(cnt > 1, size / np.maximum(cnt - 1, 1), np.inf)
        cnt[int(np.argmin(after))] -= 1
    while cnt.sum() < slots:
        cnt[int(np.argmax(size / cnt))] += 1
    return cnt


def rounded_replicas(frac: np.ndarray, cnt: np.ndarray, home: np.ndarray) -> np.ndarray:
    """(nodes, E): one replica of each expert on its home node, the other `cnt - 1` on the
    nodes with the largest remaining LP share."""
    nodes, E = frac.shape
    rep = np.zeros((nodes, E), dtype=np.int64)
    rep[home, np.arange(E)] = 1
    left = frac.copy()
    left[home, np.arange(E)] -= 1
    for _ in range(int(cnt.max()) - 1):
        more = rep.sum(axis=0) < cnt
        pick = np.argmax(left, axis=0)
        rep[pick[more], np.flatnonzero(more)] += 1
        left[pick[more], np.flatnonzero(more)] -= 1
    return rep


def fill_nodes(size: np.ndarray, rep: np.ndarray, home: np.ndarray, per_node: int) -> None:
    """Move replicas (smallest first, never a home node's last one) from over-full nodes to
    the least loaded under-full node until every node holds `per_node` (in place)."""
    per = size / rep.sum(axis=0)
    while True:
        held = rep.sum(axis=1)
        over, under = np.flatnonzero(held > per_node), np.flatnonzero(held < per_node)
        if not len(over):
            return
        n = int(over[0])
        keep = (home == n).astype(np.int64)
        movable = np.flatnonzero(rep[n] > keep)
        e = int(movable[np.argmin(per[movable])])
        load = rep[under] @ per
        m = int(under[np.argmin(load)])
        rep[n, e] -= 1
        rep[m, e] += 1


def lp_start(
    w: np.ndarray, frac: np.ndarray, group_size: int, per_node: int, top: float
) -> tuple[np.ndarray, np.ndarray]:
    """(home per expert, (nodes, E) replicas) rounded from the LP's fractional replicas
    `frac` (`top`: the LP's value); group g's home is node g, as in the LP."""
    size = w.max(axis=0)
    nodes, E = frac.shape
    home = np.arange(E) // group_size
    cnt = rounded_counts(size, frac, nodes * per_node, top)
    rep = rounded_replicas(frac, cnt, home)
    fill_nodes(size, rep, home, per_node)
    return home, rep
