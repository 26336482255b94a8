"""Resource-constrained project scheduling (makespan), with downtime, windows, disjunctions."""

from schedkit.io.formats import Format
from schedkit.kinds import KindSpec
from schedkit.models.rcpsp.bounds import lower_bound
from schedkit.models.rcpsp.problem import (
    Activity,
    Downtime,
    Precedence,
    RcpspProblem,
    RcpspSolution,
    Resource,
)
from schedkit.models.rcpsp.validator import validate

SPEC = KindSpec(
    name="rcpsp",
    problem=RcpspProblem,
    solution=RcpspSolution,
    validate=validate,
    lower_bound=lower_bound,
    backends={
        "heuristic": "schedkit.solvers.heuristics.rcpsp:solve",
        "cpsat": "schedkit.solvers.cpsat.rcpsp:solve",
        "milp": "schedkit.solvers.milp.rcpsp:solve",
    },
    exact=("cpsat", "milp"),
    auto_heuristic_share=0.2,
    formats=(
        Format("psplib-sm", ("*.sm",), "schedkit.io.psplib:read_sm"),
        Format("patterson-rcp", ("*.rcp",), "schedkit.io.patterson:read_rcp"),
    ),
    generator="schedkit.generate.rcpsp:command",
    params={
        "schedules": "heuristic: budget of generated schedules",
        "pop_size": "heuristic: GA population size",
        "mutation": "heuristic: GA mutation rate",
        "justify": "heuristic: forward-backward improvement on or off",
    },
)

__all__ = [
    "SPEC",
    "Activity",
    "Downtime",
    "Precedence",
    "RcpspProblem",
    "RcpspSolution",
    "Resource",
    "validate",
]
