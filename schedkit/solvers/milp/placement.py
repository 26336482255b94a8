"""MILP backend for placement (Pyomo + HiGHS).

Per layer, the model of `exact.placement_layers`: z[e,k] picks expert e's replica count, x[e,k,g]
its replicas on GPU g, T >= every GPU load. `split: free` uses x[e,g] replicas and continuous
tokens f[e,g] <= w_e x[e,g] instead. With co-activation and few enough variables, all layers
are solved jointly in MoETuner's formulation: home-node binaries h[l,e,n] and linearised
pairwise traffic y[l,a,b] >= h[l,a,n] - h[l+1,b,n]; otherwise layer by layer with the
neighbouring layers fixed (the traffic term is then linear). Every layer model is
warm-started from the incumbent, the hint or a constructive start (HiGHS MIP start,
`milp.highs.solve_model`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from schedkit.models.placement.answer import layer_answer
from schedkit.models.placement.context import LayerContext
from schedkit.models.placement.layout import counts_to_placement, value
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.solvers.budget import Budget, BudgetExpired
from schedkit.solvers.exact.placement_layers import (
    LayerData,
    incumbent,
    layer_data,
    solve_by_layers,
)
from schedkit.solvers.milp.highs import MilpRun, solve_model
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, stopped

JOINT_LIMIT = 20000
"""Largest number of pairwise traffic variables for the joint co-activation model."""


def build_layer(b: Any, d: LayerData) -> None:
    """Add one layer's replica, slot and load constraints to block `b` (objective part b.obj)."""
    E, G = d.experts, d.gpus
    keys = [(e, k, g) for e in range(E) for k in d.krange[e] for g in range(G)]
    b.z = pyo.Var([(e, k) for e in range(E) for k in d.krange[e]], domain=pyo.Binary)
    b.x = pyo.Var(
        keys, domain=pyo.NonNegativeIntegers, bounds=lambda _, e, k, g: (0, min(k, d.slots))
    )
    b.T = pyo.Var(domain=pyo.NonNegativeReals)
    on = {(e, g): sum(b.x[e, k, g] for k in d.krange[e]) for e in range(E) for g in range(G)}
    b.on = on
    b.one = pyo.Constraint(range(E), rule=lambda _, e: sum(b.z[e, k] for k in d.krange[e]) == 1)
    b.cnt = pyo.Constraint(
        [(e, k) for e in range(E) for k in d.krange[e]],
        rule=lambda _, e, k: sum(b.x[e, k, g] for g in range(G)) == k * b.z[e, k],
    )
    b.slots = pyo.Constraint(range(G), rule=lambda _, g: sum(on[e, g] for e in range(E)) == d.slots)
    b.load = pyo.Constraint(
        range(len(d.w)),
        range(G),
        rule=lambda _, s, g: (
            sum(float(d.w[s, e] / k) * b.x[e, k, g] for e, k, gg in keys if gg == g) <= b.T
        ),
    )
    b.rep = pyo.Constraint(
        range(len(d.w)),
        range(E),
        rule=lambda _, s, e: b.T >= sum(float(d.w[s, e] / k) * b.z[e, k] for k in d.krange[e]),
    )
    b.obj = pyo.Expression(expr=b.T + _nodes(b, d) + _moves(b, d))


def _nodes(b: Any, d: LayerData) -> Any:
    """Node-local groups or home nodes; returns the traffic cost term (0 without)."""
    if d.primary is not None:  # a node holding one replica of every expert of the group
        prim = d.primary
        groups = sorted(set(prim.tolist()))
        b.hp = pyo.Var(groups, range(d.nodes), domain=pyo.Binary)
        b.hp1 = pyo.Constraint(
            groups, rule=lambda _, u: sum(b.hp[u, n] for n in range(d.nodes)) == 1
        )
        b.hpx = pyo.Constraint(
            range(d.experts),
            range(d.nodes),
            rule=lambda _, e, n: (
                sum(b.on[e, g] for g in range(n * d.gpus_per_node, (n + 1) * d.gpus_per_node))
                >= b.hp[int(prim[e]), n]
            ),
        )
    if d.group is None and not d.home:
        return 0.0
    owner = d.group if d.group is not None else np.arange(d.experts)
    units = sorted(set(owner.tolist()))
    b.h = pyo.Var(units, range(d.nodes), domain=pyo.Binary)
    b.h1 = pyo.Constraint(units, rule=lambda _, u: sum(b.h[u, n] for n in range(d.nodes)) == 1)
    b.hx = pyo.Constraint(
        range(d.experts),
        range(d.gpus),
        rule=lambda _, e, g: b.on[e, g] <= d.slots * b.h[int(owner[e]), d.node(g)],
    )
    if d.cost is None:
        return 0.0
    return sum(
        float(d.cost[e, n]) * b.h[int(owner[e]), n]
        for e in range(d.experts)
        for n in range(d.nodes)
    )


def _moves(b: Any, d: LayerData) -> Any:
    if d.prev is None:
        return 0.0
    cells = [(g, int(e)) for g in range(d.gpus) for e in np.flatnonzero(d.prev[g])]
    b.keep = pyo.Var(
        cells, domain=pyo.NonNegativeReals, bounds=lambda _, g, e: (0, int(d.prev[g, e]))
    )
    b.keep_on = pyo.Constraint(cells, rule=lambda _, g, e: b.keep[g, e] <= b.on[e, g])
    moves = d.gpus * d.slots - sum(b.keep[c] for c in cells)
    if d.max_moves is not None:
        b.budget = pyo.Constraint(expr=moves <= d.max_moves)
    return d.move_cost * moves


def build_free(b: Any, d: LayerData) -> None:
    """`split: free`: x[e,g] replicas, tokens f[e,g] <= w_e x[e,g], T >= GPU tokens."""
    E, G, w = d.experts, d.gpus, d.w[0]
    b.x = pyo.Var(range(E), range(G), domain=pyo.NonNegativeIntegers, bounds=(0, d.slots))
    b.f = pyo.Var(range(E), range(G), domain=pyo.NonNegativeReals)
    b.T = pyo.Var(domain=pyo.NonNegativeReals)
    b.on = {(e, g): b.x[e, g] for e in range(E) for g in range(G)}
    b.cover = pyo.Constraint(range(E), rule=lambda _, e: sum(b.x[e, g] for g in range(G)) >= 1)
    b.route = pyo.Constraint(
        range(E), rule=lambda _, e: sum(b.f[e, g] for g in range(G)) == float(w[e])
    )
    b.cap = pyo.Constraint(
        range(E), range(G), rule=lambda _, e, g: b.f[e, g] <= float(w[e]) * b.x[e, g]
    )
    b.slots = pyo.Constraint(
        range(G), rule=lambda _, g: sum(b.x[e, g] for e in range(E)) == d.slots
    )
    b.load = pyo.Constraint(range(G), rule=lambda _, g: sum(b.f[e, g] for e in range(E)) <= b.T)
    b.obj = pyo.Expression(expr=b.T + _nodes(b, d) + _moves(b, d))


def run(
    model: Any, budget: Budget, options: SolveOptions, warm: list[tuple[Any, float]] | None = None
) -> MilpRun:
    """Solve with HiGHS (MIP start `warm`) within `budget`."""
    return solve_model(model, options.with_budget(budget), warm)


def warm_start(b: Any, d: LayerData) -> list[tuple[Any, float]]:
    """MIP start of one layer block from the incumbent `d.hint` (build_layer variables)."""
    counts = d.hint_counts()  # (gpus, E)
    total = counts.sum(axis=0)
    pairs: list[tuple[Any, float]] = [(b.T, float(value(d.w, d.hint)))]
    for e, ks in enumerate(d.krange):
        for k in ks:
            pairs.append((b.z[e, k], float(total[e] == k)))
            for g in range(d.gpus):
                pairs.append((b.x[e, k, g], float(counts[g, e]) if total[e] == k else 0.0))
    node_of = np.arange(d.gpus) // d.gpus_per_node
    per_node = np.zeros((d.nodes, d.experts), dtype=np.int64)
    np.add.at(per_node, node_of, counts)
    if d.primary is not None and hasattr(b, "hp"):
        for u in sorted(set(d.primary.tolist())):
            full = per_node[:, d.primary == u].min(axis=1) > 0
            n0 = int(np.argmax(full))
            for n in range(d.nodes):
                pairs.append((b.hp[u, n], float(n == n0)))
    if hasattr(b, "h"):
        owner = d.group if d.group is not None else np.arange(d.experts)
        for u in sorted(set(owner.tolist())):
            n0 = int(np.argmax(per_node[:, owner == u].sum(axis=1)))
            for n in range(d.nodes):
                pairs.append((b.h[u, n], float(n == n0)))
    if d.prev is not None and hasattr(b, "keep"):
        for g, e in b.keep.index_set():
            pairs.append((b.keep[g, e], float(min(d.prev[g, e], counts[g, e]))))
    return pairs


def counts_of_block(b: Any, d: LayerData) -> np.ndarray:
    out = np.zeros((d.gpus, d.experts), dtype=np.int64)
    for (e, g), expr in b.on.items():
        out[g, e] = round(pyo.value(expr))
    return out


def layer_solver(free: bool) -> Any:
    """The per-layer solver for `split: even` (count model) or `split: free` (token model)."""

    def solve_layer(
        d: LayerData, budget: Budget, options: SolveOptions
    ) -> tuple[np.ndarray | None, float, bool]:
        """Solve one layer's MILP; returns counts, a bound on the layer objective, proven."""
        if d.build_seconds(8e-5) > 0.5 * budget.remaining():
            return None, 0.0, False  # no time to build and search: keep the incumbent
        m = pyo.ConcreteModel()
        m.b = pyo.Block()
        (build_free if free else build_layer)(m.b, d)
        m.obj = pyo.Objective(expr=m.b.obj, sense=pyo.minimize)
        if budget.expired():
            return None, 0.0, False
        res = run(m, budget, options, None if free else warm_start(m.b, d))
        counts = counts_of_block(m.b, d) if res.loaded else None
        return counts, (res.bound or 0.0), res.status is Status.OPTIMAL

    return solve_layer


def solve_joint(
    problem: PlacementProblem, options: SolveOptions, hint: PlacementSolution | None
) -> BackendOutput:
    """All layers at once with linearised pairwise inter-node traffic (MoETuner).

    The model keeps every expert's replicas on one home node, a restriction of the problem:
    its bound bounds that restriction only, so the answer's bound is the combinatorial one
    and its status is feasible; `reason` says how far HiGHS got."""
    budget = options.budget
    ctx = incumbent(problem, hint, budget)
    res: MilpRun | None = None
    try:
        m, datas = joint_model(ctx, budget)
        res = run(m, budget, options)
    except BudgetExpired:
        pass
    if res is not None and res.loaded:
        cands = [counts_to_placement(counts_of_block(m.L[i], d)) for i, d in enumerate(datas)]
        new = sum(ctx.score(i, c) for i, c in enumerate(cands))
        if new < sum(ctx.score(i, c) for i, c in enumerate(ctx.layers())):
            ctx.place = list(cands)
    sol, bounds, _ = layer_answer(problem, ctx.layers(), budget)
    if res is None:
        within = "not solved (no time left after building the model)"
    elif res.status is Status.OPTIMAL:
        within = "optimal"
    else:
        within = f"bound {res.bound}" if res.bound is not None else "no bound"
    return BackendOutput(
        sol,
        Status.FEASIBLE,
        float(bounds.sum()),
        {"method": "milp-joint", "restricted_bound": None if res is None else res.bound},
        termination=stopped(budget),
        reason=f"joint model with one home node per expert: {within} within that restriction",
    )


def joint_model(ctx: LayerContext, budget: Budget) -> tuple[Any, list[LayerData]]:
    """The joint model of every layer (BudgetExpired when the build outlasts the budget)."""
    problem = ctx.p
    m = pyo.ConcreteModel()
    m.L = pyo.Block(range(problem.num_layers))
    datas = []
    for layer in range(problem.num_layers):
        budget.checkpoint()
        d = layer_data(ctx, layer)
        d.cost, d.home = None, True
        build_layer(m.L[layer], d)
        datas.append(d)
    pairs = _traffic(m, problem)
    m.obj = pyo.Objective(
        expr=sum(m.L[i].obj for i in range(problem.num_layers)) + pairs, sense=pyo.minimize
    )
    budget.checkpoint()
    return m, datas


def _traffic(m: Any, problem: PlacementProblem) -> Any:
    """y[l,a,b] >= h[l,a,n] - h[l+1,b,n]: pair (a,b) crosses nodes; weighted tokens."""
    assert problem.coactivation is not None
    keys = [
        (layer, int(a), int(b))
        for layer in range(problem.num_layers - 1)
        for a, b in zip(*np.nonzero(problem.coactivation[layer]), strict=True)
    ]
    m.y = pyo.Var(keys, domain=pyo.NonNegativeReals, bounds=(0, 1))
    m.cross = pyo.Constraint(
        keys,
        range(problem.nodes),
        rule=lambda _, i, a, b, n: m.y[i, a, b] >= m.L[i].h[a, n] - m.L[i + 1].h[b, n],
    )
    w = problem.traffic_weight
    return sum(w * float(problem.coactivation[i][a, b]) * m.y[i, a, b] for i, a, b in keys)


def _joint(problem: PlacementProblem) -> bool:
    """Small co-activation instances without node-local groups are solved as one model."""
    if not problem.uses_traffic or problem.coactivation is None:
        return False
    if problem.groups_strict or problem.groups_primary:
        return False
    pairs = int(np.count_nonzero(problem.coactivation[: problem.num_layers - 1]))
    return pairs * problem.nodes <= JOINT_LIMIT


def solve(
    problem: PlacementProblem, options: SolveOptions, hint: PlacementSolution | None
) -> BackendOutput:
    """HiGHS, jointly for small co-activation instances, else layer by layer."""
    if _joint(problem):
        return solve_joint(problem, options, hint)
    free = problem.split == "free"
    return solve_by_layers(problem, options, hint, layer_solver(free), "milp")


def compile_model(problem: PlacementProblem, options: SolveOptions) -> Any:
    """The model `solve` builds, for `schedkit export --format lp|mps` and `info --model milp`:
    the joint model where `solve` uses it, else every layer's model as block L[l] of one model
    minimising their sum (the layers are independent given the start's neighbours, so its
    optimum is the sum of the layer optima that `solve` finds one by one)."""
    ctx = incumbent(problem, None)
    if _joint(problem):
        return joint_model(ctx, options.budget)[0]
    build = build_free if problem.split == "free" else build_layer
    m = pyo.ConcreteModel()
    m.L = pyo.Block(range(problem.num_layers))
    for layer in range(problem.num_layers):
        options.budget.checkpoint()
        build(m.L[layer], layer_data(ctx, layer))
    m.obj = pyo.Objective(expr=sum(m.L[i].obj for i in m.L), sense=pyo.minimize)
    return m
