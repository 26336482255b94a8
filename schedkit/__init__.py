"""schedkit: declarative scheduling and placement, solved by CP-SAT, MILP or heuristics and
checked by independent validators.

    >>> import schedkit
    >>> problem = schedkit.load("instances/tardiness/small.yaml")
    >>> result = schedkit.solve(problem, time_limit=5)
    >>> schedkit.validate(problem, result.solution).feasible
    True
"""

from schedkit.batch.runner import bench
from schedkit.errors import InputError, SchedkitError
from schedkit.execute import replay
from schedkit.io.loader import load, load_all
from schedkit.io.solution import load_solution, save_solution, solution_from_dict
from schedkit.kinds import all_kinds, get_kind
from schedkit.models.base import Problem, Report, Solution, Violation
from schedkit.solvers.portfolio import solve
from schedkit.solvers.result import Result, SolveOptions, Status
from schedkit.validate import validate

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Problem",
    "Report",
    "Result",
    "SchedkitError",
    "Solution",
    "SolveOptions",
    "Status",
    "Violation",
    "all_kinds",
    "bench",
    "get_kind",
    "load",
    "load_all",
    "load_solution",
    "replay",
    "save_solution",
    "solution_from_dict",
    "solve",
    "validate",
]
