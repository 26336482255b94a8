"""The state every placement backend plans in: the placement so far and how a layer scores.

Layers are planned one at a time with their neighbours fixed: a layer's share of the objective
is its largest GPU load, plus the weighted inter-node traffic to its neighbours (linear in its
node shares, `traffic_cost`) and the move cost against a previous placement. The heuristic's
planner and the exact per-layer driver both keep their incumbent here and end with the
balance-neutral traffic pass (`reduce_traffic`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.layout import group_homes, shares, value
from schedkit.models.placement.problem import PlacementProblem
from schedkit.models.placement.traffic import traffic_pass

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget


class LayerContext:
    """The placement of every layer so far (None: not planned yet) and the problem."""

    def __init__(self, problem: PlacementProblem) -> None:
        self.p = problem
        self.place: list[np.ndarray | None] = [None] * problem.num_layers
        self.prev = None if problem.previous is None else np.array(problem.previous)

    def w(self, layer: int) -> np.ndarray:
        """(K, E) loads of `layer` under the loads and every scenario."""
        out: np.ndarray = self.p.load_stack[:, layer, :]
        return out

    def traffic_cost(self, layer: int) -> np.ndarray:
        """(E, nodes): weighted traffic of putting all of expert e on node n (neighbours fixed)."""
        if not self.p.uses_traffic:
            return np.zeros((self.p.num_experts, self.p.nodes))
        return self.p.traffic_weight * self.raw_traffic(layer)

    def raw_traffic(self, layer: int) -> np.ndarray:
        """(E, nodes): tokens crossing nodes if all of expert e sat on node n (neighbours
        fixed); a layer's traffic is linear in its node shares with these coefficients."""
        p = self.p
        cost = np.zeros((p.num_experts, p.nodes))
        if p.coactivation is None or p.nodes < 2:
            return cost
        before = self.place[layer - 1] if layer > 0 else None
        after = self.place[layer + 1] if layer + 1 < p.num_layers else None
        if before is not None:
            t = p.coactivation[layer - 1]  # (a, e)
            cost += t.sum(axis=0)[:, None] - t.T @ shares(p, before)
        if after is not None:
            t = p.coactivation[layer]  # (e, c)
            cost += t.sum(axis=1)[:, None] - t @ shares(p, after)
        return cost

    def score(self, layer: int, place: np.ndarray) -> float:
        """The layer's share of the objective with its neighbours fixed."""
        s = value(self.w(layer), place)
        if self.p.uses_traffic:
            s += float((self.traffic_cost(layer) * shares(self.p, place)).sum())
        if self.prev is not None:
            s += self.p.move_cost * int((place != self.prev[layer]).sum())
        return s

    def moves_ok(self, layer: int, place: np.ndarray) -> bool:
        """The move budget holds for `place` as the layer's placement."""
        if self.prev is None or self.p.max_moves is None:
            return True
        return int((place != self.prev[layer]).sum()) <= self.p.max_moves

    def layers(self) -> list[np.ndarray]:
        """The planned layers (every layer once planning is done)."""
        return [x for x in self.place if x is not None]

    def caps(self) -> list[float]:
        """Per-layer largest load the traffic pass may not exceed: the current one (plus
        `balance_tolerance` in lexicographic mode)."""
        tol = self.p.balance_tolerance if self.p.lexicographic else 0.0
        return [value(self.w(i), x) * (1 + tol) for i, x in enumerate(self.layers())]

    def reduce_traffic(self, budget: Budget, caps: list[float] | None = None) -> None:
        """Cross-node replica swaps that lower traffic and keep every layer within its cap."""
        caps = self.caps() if caps is None else caps
        p = self.p
        size = p.group_size if p.groups_primary else None
        if size is not None and any(
            x is None or group_homes(x, p.num_experts, p.gpus_per_node, size) is None
            for x in self.place
        ):
            return
        for _ in range(4):
            changed = False
            for layer in range(p.num_layers):
                if budget.expired():
                    return
                cur = self.place[layer]
                assert cur is not None
                new = traffic_pass(
                    self.w(layer),
                    cur,
                    self.raw_traffic(layer),
                    caps[layer],
                    p.gpus_per_node,
                    size,
                    budget,
                    strict=p.groups_strict,
                )
                if new is not None and self.moves_ok(layer, new):
                    self.place[layer] = new
                    changed = True
            if not changed:
                return
