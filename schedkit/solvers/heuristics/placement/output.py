"""The heuristic backends' answer: solution, status from the per-layer bounds, termination."""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.answer import layer_answer
from schedkit.models.placement.problem import PlacementProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.result import BackendOutput, Status, stopped


def heuristic_output(
    problem: PlacementProblem, layers: list[np.ndarray], name: str, budget: Budget
) -> BackendOutput:
    """Optimal when every layer meets its combinatorial bound (objective of loads alone)."""
    sol, bounds, optimal = layer_answer(problem, layers, budget)
    return BackendOutput(
        sol,
        Status.OPTIMAL if optimal else Status.FEASIBLE,
        float(bounds.sum()),
        {"method": name, "layers": problem.num_layers},
        termination=None if optimal else stopped(budget),
    )
