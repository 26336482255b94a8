"""Node-level decisions of the placement heuristic: which node hosts each unit.

A unit is an expert group (node-local groups) or a single expert (traffic-aware planning);
all replicas of a unit stay on its node. The node objective is the largest node bound
(`flat_bound` of the node's experts on its GPUs and slots, worst scenario) plus
`traffic_weight` x the traffic cost of each unit on its node, given the neighbouring layers.
Start: longest-first packing by load; then improving unit moves and swaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.bounds import flat_bound
from schedkit.models.placement.construct import items_of, replicate

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

EPS = 1e-9


@dataclass
class NodeModel:
    """One layer's node-assignment problem."""

    w: np.ndarray  # (K, E) loads
    units: list[np.ndarray]  # experts of each unit
    nodes: int
    gpus_per_node: int
    slots_per_node: int
    cost: np.ndarray  # (units, nodes) traffic cost, already weighted
    cap: float = 0.0  # node values up to `cap` are as good as `cap` (balance target)

    def node_value(self, members: list[int]) -> float:
        if not members:
            return np.inf
        experts = np.concatenate([self.units[u] for u in members])
        w = self.w[:, experts]
        per_gpu = self.slots_per_node // self.gpus_per_node
        cnt = replicate(w, self.slots_per_node)
        items = np.sort((w.max(axis=0) / cnt)[items_of(cnt)])
        # the GPU of the largest replica also holds per_gpu - 1 others
        packed = float(items[-1] + items[: per_gpu - 1].sum())
        bound = max(flat_bound(wk, self.slots_per_node, self.gpus_per_node) for wk in w)
        return max(bound, packed)

    def size(self, u: int) -> int:
        return len(self.units[u])


def initial_homes(m: NodeModel) -> np.ndarray:
    """Heaviest unit first to the node with the least load (that has room), cheapest traffic
    breaking ties."""
    load = np.array([m.w[:, u].sum(axis=1).max() for u in m.units])
    home = np.full(len(m.units), -1, dtype=np.int64)
    node_load = np.zeros(m.nodes)
    room = np.full(m.nodes, m.slots_per_node)
    for u in np.argsort(-load, kind="stable"):
        ok = np.flatnonzero(room >= m.size(int(u)))
        n = ok[np.lexsort((m.cost[u, ok], node_load[ok]))[0]]
        home[u] = n
        node_load[n] += load[u]
        room[n] -= m.size(int(u))
    return home


class NodeSearch:
    """Improving moves and swaps of units between nodes."""

    def __init__(self, m: NodeModel, home: np.ndarray) -> None:
        self.m, self.home = m, home.copy()
        self.values = [m.node_value(self.members(n)) for n in range(m.nodes)]

    def members(self, n: int) -> list[int]:
        return [int(u) for u in np.flatnonzero(self.home == n)]

    def objective(self) -> float:
        top = max(self.m.cap, max(self.values))
        return top + float(self.m.cost[np.arange(len(self.home)), self.home].sum())

    def _fits(self, n: int, extra: int) -> bool:
        used = sum(self.m.size(u) for u in self.members(n))
        return 0 < used + extra <= self.m.slots_per_node

    def _try(self, changes: dict[int, int]) -> bool:
        """Apply unit -> node changes if the objective drops; keep them then."""
        old_home = self.home.copy()
        old_values = list(self.values)
        before = self.objective()
        touched = {int(self.home[u]) for u in changes} | set(changes.values())
        for u, n in changes.items():
            self.home[u] = n
        for n in touched:
            if not self._fits(n, 0):
                self.home, self.values = old_home, old_values
                return False
            self.values[n] = self.m.node_value(self.members(n))
        if self.objective() < before - EPS:
            return True
        self.home, self.values = old_home, old_values
        return False

    def run(self, budget: Budget, max_evals: int = 400) -> np.ndarray:
        """Best-first candidate changes (by traffic gain, then load) until none improves."""
        evals = 0
        improved = True
        while improved and evals < max_evals and not budget.expired():
            improved = False
            for changes in self._candidates():
                evals += 1
                if self._try(changes):
                    improved = True
                    break
                if evals >= max_evals or budget.expired():
                    break
        return self.home

    def _candidates(self) -> list[dict[int, int]]:
        m, home = self.m, self.home
        U = len(home)
        cur = m.cost[np.arange(U), home]
        hot = int(np.argmax(self.values))
        cands: list[tuple[float, dict[int, int]]] = []
        for u in range(U):
            for n in range(m.nodes):
                if n != home[u]:
                    gain = m.cost[u, n] - cur[u] - (1.0 if home[u] == hot else 0.0)
                    cands.append((gain, {u: n}))
        swap = m.cost[:, home] - cur[:, None]  # u moved to v's node
        pair = swap + swap.T
        iu, iv = np.triu_indices(U, 1)
        diff = home[iu] != home[iv]
        hot_pair = (home[iu] == hot) | (home[iv] == hot)
        score = pair[iu, iv] - hot_pair
        for k in np.flatnonzero(diff)[np.argsort(score[diff])][: 4 * U]:
            u, v = int(iu[k]), int(iv[k])
            cands.append((float(score[k]), {u: int(home[v]), v: int(home[u])}))
        cands.sort(key=lambda c: c[0])
        return [c for _, c in cands[: 8 * U + 16]]


def assign_nodes(m: NodeModel, budget: Budget) -> np.ndarray:
    """A home node for every unit."""
    return NodeSearch(m, initial_homes(m)).run(budget)
