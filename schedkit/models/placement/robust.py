"""Robustness and re-planning helpers: evaluate a placement under other loads, plan again.

Loads drift between planning and serving: `evaluate_under` scores a placement planned on
one load matrix against another; `robust_problem` adds scenarios so that the solvers
minimise the worst case; `replan_problem` sets up re-planning from a current placement.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from schedkit.models.base import Report
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.models.placement.validator import validate


def _with(problem: PlacementProblem, **changes: Any) -> PlacementProblem:
    data = problem.model_dump()
    data.update(changes)
    return PlacementProblem.model_validate(data)


def evaluate_under(problem: PlacementProblem, solution: PlacementSolution, loads: Any) -> Report:
    """The validator's report of `solution` when the loads are `loads` instead."""
    plain = _with(problem, loads=np.asarray(loads, dtype=float).tolist(), scenarios=[])
    return validate(plain, solution.model_copy(update={"objective": None, "max_loads": None}))


def robust_problem(problem: PlacementProblem, scenarios: list[Any]) -> PlacementProblem:
    """`problem` planned against its loads and every matrix of `scenarios` (worst case)."""
    extra = [np.asarray(s, dtype=float).tolist() for s in scenarios]
    return _with(problem, scenarios=[*(s.tolist() for s in problem.scenarios), *extra])


def replan_problem(
    problem: PlacementProblem,
    current: PlacementSolution,
    new_loads: Any,
    max_moves: int | None = None,
    move_cost: float = 0.0,
) -> PlacementProblem:
    """Re-plan `current` for `new_loads`, moving at most `max_moves` replicas per layer."""
    return _with(
        problem,
        loads=np.asarray(new_loads, dtype=float).tolist(),
        previous=current.placement,
        max_moves=max_moves,
        move_cost=move_cost,
    )
