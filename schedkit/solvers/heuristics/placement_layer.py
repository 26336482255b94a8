"""One layer's data for the exact placement models (CP-SAT, MILP), shared by both.

The exact models choose, per layer, each expert's replica count k (z[e,k]) and how many of
those replicas go to each GPU (x[e,k,g]); a GPU's load is sum x[e,k,g] * w_e / k, which is
linear. Under `group_local: primary` a node per group holds every expert of it. Counts are
limited to [kmin_e, kmax_e]: a placement no worse than the incumbent's
value T needs k >= w_e / T, and the other experts' minima cap k. With co-activation every
expert lives on one home node (MoETuner's model), the neighbouring layers fixed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from schedkit.models.placement.bounds import layer_bound
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.solvers.heuristics.placement import Planner, align, hint_arrays, output
from schedkit.solvers.heuristics.placement_core import value
from schedkit.solvers.result import BackendOutput, SolveOptions, Status


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
        out = np.zeros((self.gpus, self.experts), dtype=np.int64)
        np.add.at(out, (np.repeat(np.arange(self.gpus), self.slots), self.hint.ravel()), 1)
        return out

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


def layer_data(planner: Planner, layer: int) -> LayerData:
    """The data of `layer` with the planner's current placement as incumbent/neighbours."""
    p = planner.p
    hint = planner.place[layer]
    assert hint is not None
    w = planner.w(layer)
    E = p.num_experts
    prev = None
    if planner.prev is not None:
        prev = np.zeros((p.num_gpus, E), dtype=np.int64)
        np.add.at(
            prev,
            (np.repeat(np.arange(p.num_gpus), p.slots_per_gpu), planner.prev[layer].ravel()),
            1,
        )
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
        cost=planner.traffic_cost(layer) if p.uses_traffic else None,
        home=p.uses_traffic,
        prev=prev,
        max_moves=p.max_moves,
        move_cost=p.move_cost,
        hint=hint,
        bound=layer_bound(p, layer),
        restricted=restricted,
    )


def counts_to_placement(counts: np.ndarray, d: LayerData) -> np.ndarray:
    """(gpus, E) replica counts to a (gpus, slots) placement."""
    return np.array([np.repeat(np.arange(d.experts), row) for row in counts], dtype=np.int64)


LayerSolver = Callable[[LayerData, float, SolveOptions], tuple[np.ndarray | None, float, bool]]
"""(data, seconds, options) -> (gpu x expert counts or None, layer value bound, proven)."""


def solve_by_layers(
    problem: PlacementProblem,
    options: SolveOptions,
    hint: PlacementSolution | None,
    layer_solver: LayerSolver,
    name: str,
) -> BackendOutput:
    """Run `layer_solver` on every layer in turn (incumbent: hint or quick heuristic)."""
    deadline = options.budget.deadline
    planner = Planner(problem, deadline)
    hints = hint_arrays(problem, hint)
    if hints is None:
        planner.deadline = time.monotonic() + min(1.0, 0.1 * options.budget.remaining())
        hints = planner.run(None)
        planner.deadline = deadline
    planner.place = list(hints)
    proven, bounds = True, []
    pure = not problem.uses_traffic and problem.move_cost == 0
    traffic_pass = problem.coactivation is not None and (
        problem.lexicographic or problem.uses_traffic
    )
    solve_until = deadline - (0.2 * max(0.0, deadline - time.monotonic()) if traffic_pass else 0)
    for layer in range(problem.num_layers):
        d = layer_data(planner, layer)
        budget = max(0.0, solve_until - time.monotonic()) / (problem.num_layers - layer)
        if pure and value(d.w, d.hint) <= d.bound * (1 + 1e-9):
            bounds.append(d.bound)  # the incumbent meets the bound: proven, nothing to solve
            continue
        counts, bound, ok = layer_solver(d, budget, options)
        if d.restricted:
            bound, ok = 0.0, False
        # with traffic the neighbours were fixed: only the combinatorial bound is valid
        bounds.append(d.bound if problem.uses_traffic else max(bound, d.bound))
        proven &= ok
        if counts is not None:
            cand = counts_to_placement(counts, d)
            if planner.prev is not None:
                cand = align(cand, planner.prev[layer], problem)
            if (
                planner.moves_ok(layer, cand)
                and planner.score(layer, cand) < planner.score(layer, d.hint) - 1e-9
            ):
                planner.place[layer] = cand
    if traffic_pass:
        planner.deadline = deadline
        planner.reduce_traffic()  # balance-neutral: swaps and node moves within each layer
    out = output(problem, [x for x in planner.place if x is not None], name)
    out.lower_bound = max(out.lower_bound or 0.0, float(sum(bounds)))
    exact_kind = problem.split == "even" and not problem.uses_traffic
    if proven and exact_kind:
        out.status = Status.OPTIMAL
    out.stats["layers_proven"] = bool(proven)
    return out


def scale_for(d: LayerData) -> tuple[float, bool]:
    """A scale making every w/k integral when loads are integers (exact), else ~2^20."""
    ks = sorted({k for r in d.krange for k in r})
    integral = bool(np.all(np.abs(d.w - np.round(d.w)) < 1e-9))
    if integral:
        lcm = math.lcm(*ks) if ks else 1
        if lcm * float(d.w.max(initial=1.0)) * d.slots < 2**50:
            return float(lcm), True
    return float(2**20) / max(float(d.w.max(initial=1.0)), 1e-9), False
