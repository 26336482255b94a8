"""A fast start for `group_local: primary`: groups to nodes, then node-aware replication.

EPLB fixes the replica counts first (the expert with the largest load per replica gets the
next slot) and packs afterwards; under `primary` that leaves the node of a hot group with its
whole home load. Here every redundant replica is chosen together with its node: each step
adds the replica (expert e on node m, m with a free slot) that gives the least largest node
value after the step, then the least sum of squared node loads (the total is fixed, so this
moves load from hot nodes to cold ones), then the smallest replica. A node's value is its
load / GPUs per node, or the largest replica when that is more. Sizes are the largest load
over scenarios. Only experts on the two most loaded nodes, on the most loaded node with a
free slot, and the largest replicas are scored (the others cannot lower the value), all at
once with NumPy.
"""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.bounds import replication_bound

EPS = 1e-9
TOP_ITEMS = 8
"""Largest replicas always among the candidates of a step (splitting them lowers the value)."""


def group_nodes(group_load: np.ndarray, nodes: int, group_size: int, per_node: int) -> np.ndarray:
    """Home node of each group: heaviest group first to the least loaded node with room."""
    home = np.empty(len(group_load), dtype=np.int64)
    load = np.zeros(nodes)
    used = np.zeros(nodes, dtype=np.int64)
    for u in np.argsort(-group_load, kind="stable"):
        ok = np.flatnonzero(used + group_size <= per_node)
        n = int(ok[np.argmin(load[ok])])
        home[u] = n
        load[n] += group_load[u]
        used[n] += group_size
    return home


class NodeGreedy:
    """Replicas per (node, expert) grown one redundant replica at a time (module docstring)."""

    def __init__(self, size: np.ndarray, home: np.ndarray, nodes: int, per_node: int, gpn: int):
        self.size, self.gpn, self.per_gpu = size, gpn, per_node // gpn
        E = len(size)
        self.rep = np.zeros((nodes, E), dtype=np.int64)
        self.rep[home, np.arange(E)] = 1
        self.cnt = np.ones(E, dtype=np.int64)
        self.free = per_node - self.rep.sum(axis=1)
        self.loads = np.bincount(home, weights=size, minlength=nodes)
        self.eye = np.eye(nodes)[:, :, None]
        self.target = 0.0

    def node_values(self, item: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per node: largest replica, its expert, second largest, smallest (held ones)."""
        held = self.rep > 0
        big = np.where(held, item[None, :], -np.inf)
        arg = np.argmax(big, axis=1)
        rows = np.arange(len(arg))
        first = big[rows, arg]
        big[rows, arg] = -np.inf
        second = np.maximum(big.max(axis=1), 0.0)
        least = np.where(held, item[None, :], np.inf).min(axis=1)
        empty = ~held.any(axis=1)  # a node of no group, nothing placed yet
        first[empty], least[empty] = 0.0, 0.0
        return first, arg, second, least

    def value_now(self) -> tuple[float, float]:
        """(largest node value, sum of squared node loads) of the current state."""
        first, _, _, least = self.node_values(self.size / self.cnt)
        top = np.maximum(self.loads / self.gpn, first + (self.per_gpu - 1) * least)
        return float(top.max()), float((self.loads * self.loads).sum())

    def candidates(self, value: np.ndarray) -> np.ndarray:
        """Experts on the node of the largest value (the ones whose replicas can lower it)
        and the `TOP_ITEMS` largest replicas."""
        mask = self.rep[int(np.argmax(value))] > 0
        item = self.size / self.cnt
        k = min(TOP_ITEMS, len(item) - 1)
        mask[np.argpartition(-item, k)[: k + 1]] = True
        return np.flatnonzero(mask)

    def step(self, only: int | None = None) -> bool:
        """Add the replica (expert e, node m with a free slot) that gives the least largest
        node value, then the least sum of squared node loads; False when none lowers that
        pair. Node value: load / GPUs, or its largest replica plus `per_gpu - 1` times its
        smallest (the least the GPU of the largest replica carries)."""
        item = self.size / self.cnt
        first, arg, second, least = self.node_values(item)
        k = self.per_gpu - 1
        now = np.maximum(self.loads / self.gpn, first + k * least)
        ex = self.candidates(now) if only is None else np.array([only])
        s, c, rep = self.size[ex], self.cnt[ex], self.rep[:, ex]
        added = s / (c + 1)  # size of each replica of e once it has c + 1
        base = self.loads[:, None] + rep * (added - s / c)  # (N, E') loads, m aside
        lg = np.where(
            arg[:, None] == ex[None, :], np.maximum(second[:, None], added), first[:, None]
        )
        sm = np.where(rep > 0, np.minimum(least[:, None], added), least[:, None])
        other = np.maximum(base / self.gpn, lg + k * sm)  # (N, E') value of n != m
        at_m = np.maximum(
            (base + added) / self.gpn,
            np.maximum(lg, added) + k * np.minimum(sm, added),
        )  # (m, E')
        value = np.maximum((other[None] * (1 - self.eye) - self.eye * 1e300).max(axis=1), at_m)
        value[self.free <= 0] = np.inf
        sq = (base * base).sum(axis=0) + base * (2 * added) + added * added  # (m, E')
        top, now_sq = float(now.max()), float((self.loads * self.loads).sum())
        lo = float(value.min())
        sq = np.where(value <= lo + EPS * max(lo, 1.0), sq, np.inf)
        slo = float(sq.min())
        flat = lo >= top - EPS * top  # the largest value stays: only spreading the loads
        spread = slo < now_sq * (1 - EPS) and self.loads.max() > self.gpn * self.target
        stuck = lo > top + EPS * top or (flat and not spread)
        if not np.isfinite(lo) or (only is None and stuck):
            return False
        pick = np.where(sq <= slo + EPS * max(slo, 1.0), added, np.inf)
        n, e = divmod(int(np.argmin(pick)), len(ex))
        self.apply(n, int(ex[e]))
        return True

    def fill(self) -> None:
        """The free slots left, most loaded node first: the replica that raises the node's
        load the least (none when all the expert's replicas are there), then the largest."""
        for _ in range(int(self.free.sum())):
            n = int(np.argmax(np.where(self.free > 0, self.loads, -np.inf)))
            r, c = self.rep[n], self.cnt
            rise = self.size * ((r + 1) / (c + 1) - r / c)
            rise = np.round(rise / max(float(self.loads.max()), EPS), 9)
            e = int(np.lexsort((-self.size / c, rise))[0])
            self.apply(n, e)

    def apply(self, n: int, e: int) -> None:
        c = self.cnt[e]
        self.loads += self.rep[:, e] * (self.size[e] / (c + 1) - self.size[e] / c)
        self.loads[n] += self.size[e] / (c + 1)
        self.rep[n, e] += 1
        self.cnt[e] += 1
        self.free[n] -= 1

    def run(self, target: float) -> np.ndarray:
        """Replicas of the experts larger than `target` first (their best node each), then
        improving steps (spreading node loads only while a node is over `target` per GPU),
        then `fill`."""
        self.target = target
        while self.free.any():
            item = self.size / self.cnt
            e = int(np.argmax(item))
            if item[e] <= target * (1 + EPS) or not self.step(only=e):
                break
        while self.free.any() and self.step():
            pass
        self.fill()
        return self.rep


def node_greedy(
    w: np.ndarray, group_size: int, nodes: int, gpus_per_node: int, per_gpu: int
) -> tuple[np.ndarray, np.ndarray]:
    """(home node per expert, (nodes, E) replicas per node) for loads `w` (K, E)."""
    per_node = gpus_per_node * per_gpu
    size = w.max(axis=0)
    gload = size.reshape(-1, group_size).sum(axis=1)
    home = np.repeat(group_nodes(gload, nodes, group_size, per_node), group_size)
    gpus = nodes * gpus_per_node
    target = max(replication_bound(size, nodes * per_node, gpus), float(size.sum()) / gpus)
    return home, NodeGreedy(size, home, nodes, per_node, gpus_per_node).run(target)
