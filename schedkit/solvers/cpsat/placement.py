"""CP-SAT backend for placement: per layer, counts z[e,k], replicas x[e,k,g], a max-load T.

Loads are scaled to integers (exactly when they are integers and the lcm of the counts is
small; the proof is then exact). Node-local groups and MoETuner-style home nodes (with
co-activation) add boolean node choices; a previous placement adds kept-replica variables.
Warm-started from the hint (the heuristic's answer under `auto`) or a constructive start.
`split: free` is left to the MILP/heuristic.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from schedkit.errors import UnsupportedProblem
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.solvers.budget import Budget
from schedkit.solvers.cpsat.runner import run_cpsat
from schedkit.solvers.exact.placement_layers import LayerData, scale_for, solve_by_layers
from schedkit.solvers.result import BackendOutput, SolveOptions, Status


class LayerModel:
    """The CP-SAT model of one layer."""

    def __init__(self, d: LayerData) -> None:
        self.d = d
        self.m = cp_model.CpModel()
        self.scale, self.exact = scale_for(d)
        self.z: dict[tuple[int, int], cp_model.IntVar] = {}
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self._replicas()
        self.obj_terms: list[cp_model.LinearExprT] = []
        self.T = self._max_load()
        self._nodes()
        self._moves()
        self.m.minimize(cp_model.LinearExpr.sum([self.T, *self.obj_terms]))

    def _replicas(self) -> None:
        d, m = self.d, self.m
        for e, ks in enumerate(d.krange):
            for k in ks:
                self.z[e, k] = m.new_bool_var(f"z{e}_{k}")
                for g in range(d.gpus):
                    self.x[e, k, g] = m.new_int_var(0, min(k, d.slots), f"x{e}_{k}_{g}")
                m.add(sum(self.x[e, k, g] for g in range(d.gpus)) == k * self.z[e, k])
            m.add_exactly_one(self.z[e, k] for k in ks)
        for g in range(d.gpus):
            m.add(sum(self.on(e, g) for e in range(d.experts)) == d.slots)

    def on(self, e: int, g: int) -> cp_model.LinearExprT:
        """Replicas of expert e on GPU g."""
        return sum(self.x[e, k, g] for k in self.d.krange[e])

    def _max_load(self) -> cp_model.IntVar:
        d, m = self.d, self.m
        top = int(np.ceil(self.scale * d.w.sum(axis=1).max())) + d.slots
        T = m.new_int_var(0, top, "T")
        loads = []
        for g in range(d.gpus):
            for w in d.w:
                expr = sum(
                    round(self.scale * w[e] / k) * self.x[e, k, g]
                    for e in range(d.experts)
                    for k in d.krange[e]
                )
                m.add(expr <= T)
            loads.append(
                sum(
                    round(self.scale * d.w[0, e] / k) * self.x[e, k, g]
                    for e in range(d.experts)
                    for k in d.krange[e]
                )
            )
        for w in d.w:  # some GPU holds a replica of e: T >= w_e / k
            for e in range(d.experts):
                m.add(T >= sum(round(self.scale * w[e] / k) * self.z[e, k] for k in d.krange[e]))
        self.ordered = d.symmetric() and d.group is None and d.cost is None and d.primary is None
        if self.ordered:
            for g in range(d.gpus - 1):
                m.add(loads[g] >= loads[g + 1])
        return T

    def _nodes(self) -> None:
        """Node-local groups, or home nodes with traffic costs."""
        d, m = self.d, self.m
        if d.primary is not None:  # a node holding one replica of every expert of the group
            units = sorted(set(d.primary.tolist()))
            hp = {(u, n): m.new_bool_var(f"p{u}_{n}") for u in units for n in range(d.nodes)}
            for u in units:
                m.add_exactly_one(hp[u, n] for n in range(d.nodes))
            for e in range(d.experts):
                for n in range(d.nodes):
                    gs = range(n * d.gpus_per_node, (n + 1) * d.gpus_per_node)
                    m.add(sum(self.on(e, g) for g in gs) >= hp[int(d.primary[e]), n])
        if d.group is None and d.cost is None:
            return
        owner = d.group if d.group is not None else np.arange(d.experts)
        h = {
            (u, n): m.new_bool_var(f"h{u}_{n}") for u in set(owner.tolist()) for n in range(d.nodes)
        }
        for u in set(owner.tolist()):
            m.add_exactly_one(h[u, n] for n in range(d.nodes))
        for e in range(d.experts):
            for g in range(d.gpus):
                m.add(self.on(e, g) <= d.slots * h[int(owner[e]), d.node(g)])
        if d.cost is not None:
            self.obj_terms.append(
                sum(
                    round(self.scale * d.cost[e, n]) * h[int(owner[e]), n]
                    for e in range(d.experts)
                    for n in range(d.nodes)
                )
            )

    def _moves(self) -> None:
        d, m = self.d, self.m
        if d.prev is None:
            return
        kept = []
        for g in range(d.gpus):
            for e in np.flatnonzero(d.prev[g]):
                keep = m.new_int_var(0, int(d.prev[g, e]), f"keep{g}_{e}")
                m.add(keep <= self.on(int(e), g))
                kept.append(keep)
        moves = d.gpus * d.slots - sum(kept)
        if d.max_moves is not None:
            m.add(moves <= d.max_moves)
        if d.move_cost > 0:
            self.obj_terms.append(round(self.scale * d.move_cost) * moves)

    def add_hint(self, counts: np.ndarray) -> None:
        """Warm start from (gpus, E) replica counts."""
        d = self.d
        if self.ordered:
            per = d.w[0] / np.maximum(counts.sum(axis=0), 1)
            counts = counts[np.argsort(-(counts @ per), kind="stable")]
        total = counts.sum(axis=0)
        for e, ks in enumerate(d.krange):
            for k in ks:
                self.m.add_hint(self.z[e, k], int(total[e] == k))
                for g in range(d.gpus):
                    self.m.add_hint(self.x[e, k, g], int(counts[g, e]) if total[e] == k else 0)

    def counts(self, solver: cp_model.CpSolver) -> np.ndarray:
        d = self.d
        out = np.zeros((d.gpus, d.experts), dtype=np.int64)
        for (e, _, g), var in self.x.items():
            out[g, e] += solver.value(var)
        return out


def solve_layer(
    d: LayerData, budget: Budget, options: SolveOptions
) -> tuple[np.ndarray | None, float, bool]:
    """Solve one layer; returns counts, a bound on the layer objective and whether proven."""
    if d.build_seconds(3e-5) > 0.5 * budget.remaining():
        return None, 0.0, False  # no time to build and search: keep the incumbent
    lm = LayerModel(d)
    lm.add_hint(d.hint_counts())
    if budget.expired():
        return None, 0.0, False
    run = run_cpsat(
        lm.m, options.with_budget(budget, threads=min(options.threads, 8)), budget=budget
    )
    if not run.has_solution or run.bound is None:
        return None, 0.0, False
    slack = 0.0 if lm.exact else d.slots * 0.5
    bound = max(0.0, (run.bound - slack) / lm.scale)
    proven = run.status is Status.OPTIMAL and lm.exact
    return lm.counts(run.solver), bound, proven


def solve(
    problem: PlacementProblem, options: SolveOptions, hint: PlacementSolution | None
) -> BackendOutput:
    """CP-SAT layer by layer, within the time limit."""
    if problem.split == "free":
        raise UnsupportedProblem("cpsat models split: even only; use milp or heuristic")
    return solve_by_layers(problem, options, hint, solve_layer, "cpsat")


def compile_model(problem: PlacementProblem, options: SolveOptions) -> cp_model.CpModel:
    """Every layer's model as `solve` builds it (hinted with the constructive start), side by
    side in one model whose optimum is the sum of the layer optima: for `schedkit export
    --format cpsat` and `schedkit info --model cpsat`."""
    from schedkit.solvers.cpsat.merge import merge_models
    from schedkit.solvers.exact.placement_layers import incumbent, layer_data

    if problem.split == "free":
        raise UnsupportedProblem("cpsat models split: even only; use milp or heuristic")
    ctx = incumbent(problem, None)
    layers = []
    for layer in range(problem.num_layers):
        options.budget.checkpoint()
        lm = LayerModel(layer_data(ctx, layer))
        lm.add_hint(lm.d.hint_counts())
        layers.append(lm.m)
    return merge_models(layers, problem.name)
