"""The exact placement backends' per-layer driver and the data of one layer's model.

CP-SAT and MILP share it; it needs no heuristic: without a hint each layer starts from
`models.placement.construct.start_layer`.

The exact models choose, per layer, each expert's replica count k (z[e,k]) and how many of
those replicas go to each GPU (x[e,k,g]); a GPU's load is sum x[e,k,g] * w_e / k, which is
linear. Under `group_local: primary` a node per group holds every expert of it. Counts are
limited to [kmin_e, kmax_e]: a placement no worse than the incumbent's
value T needs k >= w_e / T, and the other experts' minima cap k. With co-activation every
expert lives on one home node (MoETuner's model), the neighbouring layers fixed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from schedkit.models.placement.align import align
from schedkit.models.placement.answer import layer_answer
from schedkit.models.placement.bounds import layer_bound
from schedkit.models.placement.construct import dense_layer, start_layer
from schedkit.models.placement.context import LayerContext
from schedkit.models.placement.layout import (
    counts_to_placement,
    hint_arrays,
    replicas_per_gpu,
    value,
)
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.models.placement.quick_primary import quick_layers
from schedkit.solvers.budget import Budget
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, stopped


@dataclass
class LayerData:
    """Everything an exact model of one layer needs."""

    w: np.ndarray  # (K, E)
    gpus: int
    slots: int
    gpus_per_node: int
    nodes: int
    krange: list[range]
    group: np.ndarray | None  # group of each expert when groups must stay node-local
    primary: np.ndarray | None  # group of each expert when a node must hold the whole group
    cost: np.ndarray | None  # (E, nodes) weighted traffic cost; experts node-local when set
    home: bool  # every expert's replicas on one node (traffic models)
    prev: np.ndarray | None  # (gpus, E) previous replica counts
    max_moves: int | None
    move_cost: float
    hint: np.ndarray  # (gpus, slots) incumbent
    bound: float  # combinatorial bound of the layer's largest load
    restricted: bool = False  # counts limited around the incumbent: no proof, no bound

    def build_seconds(self, per_var: float) -> float:
        """Estimated model building time at `per_var` seconds per x variable."""
        return per_var * sum(len(r) for r in self.krange) * self.gpus * len(self.w)

    @property
    def experts(self) -> int:
        return int(self.w.shape[1])

    def node(self, g: int) -> int:
        return g // self.gpus_per_node

    def hint_counts(self) -> np.ndarray:
        """(gpus, E) replicas per GPU of the incumbent."""
        return replicas_per_gpu(self.hint, self.experts)

    def symmetric(self) -> bool:
        """GPUs of a node are interchangeable (no previous placement pins them)."""
        return self.prev is None


def count_ranges(w: np.ndarray, slots: int, ub: float) -> list[range]:
    """Allowed replica counts of each expert for a value no worse than `ub`."""
    top = w.max(axis=0)
    kmin = np.maximum(1, np.ceil(top / max(ub, 1e-12) - 1e-9)).astype(int)
    spare = slots - int(kmin.sum())
    return [range(int(k), int(k) + spare + 1) for k in kmin]


MAX_X = 6000
"""Largest number of x[e,k,g] variables before counts are limited to incumbent +- 1."""


def limit_ranges(
    ranges: list[range], hint_counts: np.ndarray, gpus: int
) -> tuple[list[range], bool]:
    """The ranges, or (when the model would be too big) incumbent count +- 1 within them."""
    if sum(len(r) for r in ranges) * gpus <= MAX_X:
        return ranges, False
    out = [
        range(max(r.start, int(h) - 1), min(r.stop, int(h) + 2))
        for r, h in zip(ranges, hint_counts, strict=True)
    ]
    return out, True


def layer_data(ctx: LayerContext, layer: int) -> LayerData:
    """The data of `layer` with the current placement as incumbent and neighbours."""
    p = ctx.p
    hint = ctx.place[layer]
    assert hint is not None
    w = ctx.w(layer)
    E = p.num_experts
    prev = None if ctx.prev is None else replicas_per_gpu(ctx.prev[layer], E)
    ranges, restricted = limit_ranges(
        count_ranges(w, p.num_slots, value(w, hint)),
        np.bincount(hint.ravel(), minlength=E),
        p.num_gpus,
    )
    return LayerData(
        w=w,
        gpus=p.num_gpus,
        slots=p.slots_per_gpu,
        gpus_per_node=p.gpus_per_node,
        nodes=p.nodes,
        krange=ranges,
        group=np.arange(E) // p.group_size if p.groups_strict else None,
        primary=np.arange(E) // p.group_size if p.groups_primary else None,
        cost=ctx.traffic_cost(layer) if p.uses_traffic else None,
        home=p.uses_traffic,
        prev=prev,
        max_moves=p.max_moves,
        move_cost=p.move_cost,
        hint=hint,
        bound=layer_bound(p, layer),
        restricted=restricted,
    )


LayerSolver = Callable[[LayerData, Budget, SolveOptions], tuple[np.ndarray | None, float, bool]]
"""(data, budget, options) -> (gpu x expert counts or None, layer value bound, proven)."""


def incumbent(
    problem: PlacementProblem, hint: PlacementSolution | None, budget: Budget | None = None
) -> LayerContext:
    """The layers to improve: the hint when it fits, else a quick constructive start (with
    `primary` groups the batched one of every layer; otherwise, once `budget` is spent, the
    still cheaper placement of a dense layer)."""
    ctx = LayerContext(problem)
    hints = hint_arrays(problem, hint)
    if hints:
        ctx.place = list(hints)
        return ctx
    if problem.groups_primary and problem.max_moves is None:
        ctx.place = list(quick_layers(problem))
        return ctx
    for layer in range(problem.num_layers):
        late = budget is not None and budget.expired() and problem.max_moves is None
        ctx.place[layer] = dense_layer(problem) if late else start_layer(problem, layer)
    return ctx


def improve_layer(ctx: LayerContext, layer: int, d: LayerData, counts: np.ndarray | None) -> None:
    """Keep the solver's placement of `layer` when it is allowed and scores better."""
    if counts is None:
        return
    cand = counts_to_placement(counts)
    if ctx.prev is not None:
        cand = align(cand, ctx.prev[layer], ctx.p)
    if ctx.moves_ok(layer, cand) and ctx.score(layer, cand) < ctx.score(layer, d.hint) - 1e-9:
        ctx.place[layer] = cand


def solve_by_layers(
    problem: PlacementProblem,
    options: SolveOptions,
    hint: PlacementSolution | None,
    layer_solver: LayerSolver,
    name: str,
) -> BackendOutput:
    """Run `layer_solver` on every layer in turn, each on a fair part of the budget."""
    budget = options.budget
    ctx = incumbent(problem, hint, budget)
    proven, bounds = True, []
    pure = not problem.uses_traffic and problem.move_cost == 0
    passes = problem.coactivation is not None and (problem.lexicographic or problem.uses_traffic)
    solving = budget.reserve(0.2 * budget.remaining()) if passes else budget
    for layer in range(problem.num_layers):
        if budget.expired():
            proven = False
            break
        d = layer_data(ctx, layer)
        if pure and value(d.w, d.hint) <= d.bound * (1 + 1e-9):
            bounds.append(d.bound)  # the incumbent meets the bound: proven, nothing to solve
            continue
        counts, bound, ok = layer_solver(d, solving.part(problem.num_layers - layer), options)
        if d.restricted:
            bound, ok = 0.0, False
        # with traffic the neighbours were fixed: only the combinatorial bound is valid
        bounds.append(d.bound if problem.uses_traffic else max(bound, d.bound))
        proven &= ok
        improve_layer(ctx, layer, d, counts)
    if passes:
        ctx.reduce_traffic(budget)  # balance-neutral: swaps and node moves within each layer
    return layers_output(problem, ctx.layers(), name, budget, proven, bounds)


def layers_output(
    problem: PlacementProblem,
    layers: list[np.ndarray],
    name: str,
    budget: Budget,
    proven: bool,
    bounds: list[float],
) -> BackendOutput:
    """Optimal when every layer is proven (or meets its bound) for a loads-only objective."""
    sol, comb, meets = layer_answer(problem, layers, budget)
    solved = len(bounds) == problem.num_layers
    bound = float(np.maximum(comb, bounds).sum()) if solved else float(comb.sum())
    optimal = meets or (proven and solved and problem.split == "even" and not problem.uses_traffic)
    return BackendOutput(
        sol,
        Status.OPTIMAL if optimal else Status.FEASIBLE,
        bound,
        {"method": name, "layers_proven": bool(proven and solved)},
        termination=None if optimal else stopped(budget),
    )


def scale_for(d: LayerData) -> tuple[float, bool]:
    """A scale making every w/k integral when loads are integers (exact), else ~2^20."""
    ks = sorted({k for r in d.krange for k in r})
    integral = bool(np.all(np.abs(d.w - np.round(d.w)) < 1e-9))
    if integral:
        lcm = math.lcm(*ks) if ks else 1
        if lcm * float(d.w.max(initial=1.0)) * d.slots < 2**50:
            return float(lcm), True
    return float(2**20) / max(float(d.w.max(initial=1.0)), 1e-9), False
