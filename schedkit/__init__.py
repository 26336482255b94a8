"""schedkit: declarative scheduling and placement, solved by CP-SAT, MILP or heuristics and
checked by independent validators.

    >>> import schedkit
    >>> problem = schedkit.load("instances/tardiness/small.yaml")
    >>> result = schedkit.solve(problem, time_limit=5)
    >>> schedkit.validate(problem, result.solution).feasible
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from schedkit.errors import FallbackWarning, InputError, SchedkitError

if TYPE_CHECKING:
    from schedkit.batch.runner import bench
    from schedkit.execute import replay
    from schedkit.io.loader import load, load_all
    from schedkit.io.solution import load_solution, save_solution, solution_from_dict
    from schedkit.kinds import all_kinds, get_kind
    from schedkit.models.base import Problem, Report, Solution, Violation
    from schedkit.solvers.portfolio import solve
    from schedkit.solvers.result import Result, SolveOptions, Status
    from schedkit.validation import validate

_LAZY = {
    "bench": "schedkit.batch.runner",
    "replay": "schedkit.execute",
    "load": "schedkit.io.loader",
    "load_all": "schedkit.io.loader",
    "load_solution": "schedkit.io.solution",
    "save_solution": "schedkit.io.solution",
    "solution_from_dict": "schedkit.io.solution",
    "all_kinds": "schedkit.kinds",
    "get_kind": "schedkit.kinds",
    "Problem": "schedkit.models.base",
    "Report": "schedkit.models.base",
    "Solution": "schedkit.models.base",
    "Violation": "schedkit.models.base",
    "solve": "schedkit.solvers.portfolio",
    "Result": "schedkit.solvers.result",
    "SolveOptions": "schedkit.solvers.result",
    "Status": "schedkit.solvers.result",
    "validate": "schedkit.validation",
}
"""Public names imported on first use, so `import schedkit` (and `schedkit --version`) does
not pay for the solvers, pydantic models, the batch runner or torch."""


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'schedkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "FallbackWarning",
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
