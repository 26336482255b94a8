"""Placement heuristic: EPLB-style greedy plus improvement, layer by layer.

Per layer: node-local units (groups, or single experts when inter-node traffic counts) are
assigned to nodes first (`node_assignment`), then each node (or the whole cluster) is
balanced by `flat_search.solve_flat`; `group_local: primary` has its own node-then-GPU
search (`primary_search`). With co-activation, layers are swept again with both neighbours
fixed, then the balance-neutral traffic pass runs. Re-planning compares a fresh plan (GPUs
matched to the previous placement, kept replicas in their slots) with a local search from
the previous placement under the move budget. All-zero (dense) layers get the trivial
placement. Every step draws from the solve's one budget; with `primary` groups every layer
first gets the batched start (`quick_primary`), which a layer without time to search keeps.
"""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.align import align
from schedkit.models.placement.construct import dense_layer, load_start
from schedkit.models.placement.context import LayerContext
from schedkit.models.placement.layout import hint_arrays, value
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.models.placement.quick_primary import quick_layers
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.placement.flat_search import LocalSearch, solve_flat
from schedkit.solvers.heuristics.placement.node_assignment import NodeModel, assign_nodes
from schedkit.solvers.heuristics.placement.output import heuristic_output
from schedkit.solvers.heuristics.placement.primary_search import plan_primary
from schedkit.solvers.result import BackendOutput, SolveOptions

QUICK_BELOW = 2e-5
"""Seconds per slot and node: a `primary` layer with less time than this times its slots
times its nodes (51 ms at 320 slots on 8 nodes) keeps its batched start (`quick_primary`).
The per-layer search's own start takes about 4e-6 s per slot and node (5 ms at 288 slots on
4 nodes, 10 ms at 320 on 8), and with less than some five times that it overran its share."""


class Planner(LayerContext):
    """Plans every layer in turn within a budget; `node_bounds`: per-layer bounds found on
    the way (the node LP of `group_local: primary`), 0 where none."""

    def __init__(self, problem: PlacementProblem) -> None:
        super().__init__(problem)
        self.node_bounds = np.zeros(problem.num_layers)
        self.quick: np.ndarray | None = None  # `primary`: every layer's batched start

    def node_plan(
        self,
        layer: int,
        units: list[np.ndarray],
        budget: Budget,
        cap: float = 0.0,
        cost: np.ndarray | None = None,
    ) -> np.ndarray:
        """Units to nodes, then each node balanced on its own GPUs."""
        p, w = self.p, self.w(layer)
        cost = self.traffic_cost(layer) if cost is None else cost
        ucost = np.array([cost[u].sum(axis=0) for u in units])
        model = NodeModel(
            w, units, p.nodes, p.gpus_per_node, p.gpus_per_node * p.slots_per_gpu, ucost, cap
        )
        home = assign_nodes(model, budget.split(0.5))
        out = np.empty((p.num_gpus, p.slots_per_gpu), dtype=np.int64)
        for n in range(p.nodes):
            experts = np.concatenate([units[u] for u in np.flatnonzero(home == n)])
            local = solve_flat(w[:, experts], p.gpus_per_node, p.slots_per_gpu, budget)
            out[n * p.gpus_per_node : (n + 1) * p.gpus_per_node] = experts[local]
        return out

    def fresh(self, layer: int, budget: Budget) -> list[np.ndarray]:
        """Candidate placements of one layer, ignoring the previous placement."""
        p, w = self.p, self.w(layer)
        least = QUICK_BELOW * p.num_slots * p.nodes
        if self.quick is not None and (budget.remaining() < least or not w.any()):
            return [self.quick[layer]]  # the batched start, no search
        if not w.any():
            return [dense_layer(p)]
        if budget.expired():  # out of time: the constructive start, no search
            return [load_start(p, w)]
        if p.groups_strict:
            size = p.group_size
            groups = [np.arange(g * size, (g + 1) * size) for g in range(p.num_experts // size)]
            return [self.node_plan(layer, groups, budget)]
        if p.groups_primary:
            gpn, S = p.gpus_per_node, p.slots_per_gpu
            place, bound = plan_primary(w, p.num_gpus, gpn, S, p.group_size, budget)
            if p.split == "even" and len(w) == 1:  # the LP's even split of one load vector
                self.node_bounds[layer] = max(self.node_bounds[layer], bound)
            return [place] if self.quick is None else [place, self.quick[layer]]
        flat = solve_flat(w, p.num_gpus, p.slots_per_gpu, budget)
        cands = [flat]
        if p.uses_traffic:
            singles = [np.array([e]) for e in range(p.num_experts)]
            cap = value(w, flat)
            cands.append(self.node_plan(layer, singles, budget, cap * (1 - 1e-3)))
            cands.append(self.node_plan(layer, singles, budget, cap))
        return cands

    def plan_layer(self, layer: int, budget: Budget, hint: np.ndarray | None) -> np.ndarray:
        cands = self.fresh(layer, budget)
        if self.prev is not None:
            old = self.prev[layer]
            cands = [align(c, old, self.p) for c in cands]
            cands.append(self.from_previous(layer, budget))
        if hint is not None:
            cands.append(hint)
        ok = [c for c in cands if self.moves_ok(layer, c)] or [cands[-1]]
        return min(ok, key=lambda c: self.score(layer, c))

    def from_previous(self, layer: int, budget: Budget) -> np.ndarray:
        """Local search from the previous placement within the move budget."""
        assert self.prev is not None
        old = self.prev[layer]
        if self.p.groups_strict or self.p.groups_primary or self.p.uses_traffic:
            return old.copy()  # node-level moves are left to the fresh plan
        ls = LocalSearch(self.w(layer), old, old, self.p.max_moves, self.p.move_cost)
        return ls.run(budget)

    def run(self, hint: PlacementSolution | None, budget: Budget) -> list[np.ndarray]:
        """Plan every layer (twice with weighted traffic), then the traffic pass."""
        p = self.p
        hints = hint_arrays(p, hint)
        sweeps = 2 if p.uses_traffic else 1
        if p.groups_primary:  # a few ms for every layer: what a layer reached late keeps
            self.quick = quick_layers(p)
        passes = p.coactivation is not None and p.nodes > 1
        plan = budget.split(0.5) if passes else budget  # keep time for the traffic pass
        for sweep in range(sweeps):
            for layer in range(p.num_layers):
                part = plan.part((sweeps - sweep) * p.num_layers - layer)
                h = self.place[layer] if sweep else (hints[layer] if hints else None)
                self.place[layer] = self.plan_layer(layer, part, h)
        if passes and (p.uses_traffic or p.lexicographic):
            self.reduce_traffic(budget)
        return self.layers()


def solve(
    problem: PlacementProblem, options: SolveOptions, hint: PlacementSolution | None
) -> BackendOutput:
    """Greedy + improvement, layer by layer, within the budget."""
    planner = Planner(problem)
    layers = planner.run(hint, options.budget)
    return heuristic_output(
        problem, layers, "greedy+local-search", options.budget, planner.node_bounds
    )
