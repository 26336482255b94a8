"""Resource-constrained project scheduling (makespan), with downtime, windows, disjunctions."""

from schedkit.io.formats import Format
from schedkit.kinds import KindSpec, ReferenceSet
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
        "heuristic": "schedkit.solvers.heuristics.rcpsp.backend:solve",
        "cpsat": "schedkit.solvers.cpsat.rcpsp:solve",
        "milp": "schedkit.solvers.milp.rcpsp:solve",
    },
    models={
        "milp": "schedkit.solvers.milp.rcpsp:compile_model",
        "cpsat": "schedkit.solvers.cpsat.rcpsp:compile_model",
    },
    exact=("cpsat", "milp"),
    auto_heuristic_share=0.1,
    # one worker: one GA run of 100 lists (it stops when converged, so easy instances reach
    # the proof fast), CP-SAT's proof phase, then GA restarts (the heuristic's defaults)
    # instead of CP-SAT's LNS phase, which found less in the same time (docs/benchmarks.md)
    auto_exact_share=0.5,
    auto_params={
        "heuristic": {"restart": False, "pop_size": 100},
        "cpsat": {"improve_share": 0.0},
    },
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
        "stall": "heuristic: generations without improvement before a GA run stops (0: never)",
        "restart": "heuristic: a fresh GA run after a stalled one while time lasts (bool)",
        "parallel": "heuristic: share of GA children decoded by the parallel SGS (0-1)",
        "improve_share": "cpsat: share of CP-SAT's time for the LNS improvement phase (0-1)",
    },
    plot="schedkit.plot.rcpsp:draw",
    references=(
        ReferenceSet(
            instance=r"^j\d+\d+_\d+\.sm$",
            tables=("../{folder}opt.sm", "../{folder}hrs.sm"),
            table=r"(opt|hrs|lb)\.sm$",
            reader="schedkit.io.psplib:read_reference",
        ),
    ),
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
