"""The heuristic backends' answer: solution, status from the per-layer bounds, termination."""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.answer import layer_answer
from schedkit.models.placement.problem import PlacementProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.result import BackendOutput, Status, stopped


def heuristic_output(
    problem: PlacementProblem,
    layers: list[np.ndarray],
    name: str,
    budget: Budget,
    found: np.ndarray | None = None,
) -> BackendOutput:
    """Optimal when every layer meets its bound (objective of loads alone): the combinatorial
    one, or a stronger one `found` on the way (per layer, 0 where none)."""
    sol, bounds, optimal = layer_answer(problem, layers, budget, found)
    return BackendOutput(
        sol,
        Status.OPTIMAL if optimal else Status.FEASIBLE,
        float(bounds.sum()),
        {"method": name, "layers": problem.num_layers},
        termination=None if optimal else stopped(budget),
    )
