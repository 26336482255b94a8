"""Pipeline-parallel training schedules with zero-bubble backward splits (F, B, W)."""

from schedkit.kinds import KindSpec
from schedkit.models.pipeline.bounds import lower_bound
from schedkit.models.pipeline.problem import Memory, Op, PipelineProblem, PipelineSolution, Times
from schedkit.models.pipeline.validator import validate

SPEC = KindSpec(
    name="pipeline",
    problem=PipelineProblem,
    solution=PipelineSolution,
    validate=validate,
    lower_bound=lower_bound,
    backends={
        "heuristic": "schedkit.solvers.heuristics.pipeline:solve",
        "cpsat": "schedkit.solvers.cpsat.pipeline:solve",
        "milp": "schedkit.solvers.milp.pipeline:solve",
    },
    exact=("cpsat", "milp"),
    auto_heuristic_share=0.1,
    integral=False,
    params={
        "greedy_time": "heuristic: seconds for the greedy reference variants",
        "improve_time": "heuristic: seconds for the local search",
    },
)

__all__ = ["SPEC", "Memory", "Op", "PipelineProblem", "PipelineSolution", "Times", "validate"]
