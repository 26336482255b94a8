"""`validate(problem, solution)`: the kind's independent validator, behind one entry point."""

from __future__ import annotations

from schedkit.errors import InputError
from schedkit.kinds import kind_of
from schedkit.models.base import Problem, Report, Solution


def validate(problem: Problem, solution: Solution) -> Report:
    """Check every constraint and recompute the objective from the schedule."""
    spec = kind_of(problem)
    if type(solution).KIND != spec.name:
        raise InputError(
            f"a {type(solution).KIND} solution cannot be checked against a {spec.name} instance"
        )
    return spec.validate(problem, solution)
