"""`validate(problem, solution)`: the kind's independent validator, behind one entry point."""

from __future__ import annotations

from schedkit.errors import InputError
from schedkit.kinds import kind_of
from schedkit.models.base import Problem, Report, Solution


def validate(problem: Problem, solution: Solution) -> Report:
    """Check every constraint and recompute the objective from the schedule.

    `problem` must be a `Problem` (from `schedkit.load`) and `solution` a `Solution` (from a
    solver, `schedkit.load_solution` or `schedkit.solution_from_dict`); anything else is a
    TypeError that names the argument.
    """
    if not isinstance(problem, Problem):
        raise TypeError(
            f"validate(): problem must be a schedkit Problem (from schedkit.load), "
            f"got {type(problem).__name__}"
        )
    if not isinstance(solution, Solution):
        hint = (
            "; parse plain data with schedkit.solution_from_dict(problem, data)"
            if isinstance(solution, dict)
            else ""
        )
        raise TypeError(
            f"validate(): solution must be a schedkit Solution, got {type(solution).__name__}"
            + hint
        )
    spec = kind_of(problem)
    if type(solution).KIND != spec.name:
        raise InputError(
            f"a {type(solution).KIND} solution cannot be checked against a {spec.name} instance"
        )
    return spec.validate(problem, solution)
