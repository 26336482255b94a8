"""Local search on per-device op orders: move one W later or earlier after its B, swap two
adjacent ops, or (on the stages where a fused backward pays) fuse a B + W into one BW or split
a BW; replay ASAP and keep a move that does not make the objective worse."""

from __future__ import annotations

import random

from schedkit.models.pipeline.problem import OpKey, PipelineProblem
from schedkit.models.pipeline.simulate import SimResult, simulate, spans
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.pipeline.fusion_moves import toggle

Orders = list[list[OpKey]]
EPS = 1e-9
TOGGLE_P = 0.4
"""Share of the moves that fuse or split a backward (where some stage may fuse)."""


def objective(problem: PipelineProblem, orders: Orders) -> float:
    """Objective of the ASAP replay; inf on deadlock or memory overflow."""
    return evaluate(problem, orders)[0]


def evaluate(problem: PipelineProblem, orders: Orders) -> tuple[float, SimResult | None]:
    """`objective` and the replay it came from (None where none ran or it deadlocked)."""
    limit = problem.memory.limit
    if limit is not None:
        for row in orders:
            level = 0.0
            for k, s, _ in row:
                level += problem.mem[k][s]
                if level > limit + 1e-9:
                    return float("inf"), None
    sim = simulate(problem, orders)
    if sim.deadlock:
        return float("inf"), None
    if problem.objective == "makespan":
        return sim.makespan, sim
    return max(spans(problem, sim.start, sim.end)), sim


def neighbour(
    orders: Orders, rng: random.Random, fusable: frozenset[int] = frozenset()
) -> Orders | None:
    """Move a random W to another position after its B, swap two adjacent ops, or fuse or
    split a backward of a `fusable` stage."""
    if fusable and rng.random() < TOGGLE_P:
        return toggle(orders, rng, fusable)
    d = rng.randrange(len(orders))
    row = list(orders[d])
    if len(row) < 2:
        return None
    if rng.random() < 0.6:
        ws = [i for i, op in enumerate(row) if op[0] == "W"]
        if not ws:
            return None
        i = rng.choice(ws)
        op = row.pop(i)
        b = row.index(("B", op[1], op[2]))
        row.insert(rng.randint(b + 1, len(row)), op)
    else:
        i = rng.randrange(len(row) - 1)
        if row[i][1:] == row[i + 1][1:]:
            return None
        row[i], row[i + 1] = row[i + 1], row[i]
    new = list(orders)
    new[d] = row
    return new


def improve(
    problem: PipelineProblem,
    orders: Orders,
    budget: Budget,
    seed: int = 0,
    floor: float | None = None,
    fusable: frozenset[int] = frozenset(),
) -> Orders:
    """First-improvement local search until the budget runs out or `floor` (a lower bound)
    is reached; backwards of the `fusable` stages may fuse or split."""
    rng = random.Random(seed)
    best = objective(problem, orders)
    while not budget.expired() and (floor is None or best > floor + 1e-6):
        cand = neighbour(orders, rng, fusable)
        if cand is None:
            continue
        value = objective(problem, cand)
        if value <= best + EPS:
            orders, best = cand, value
    return orders
