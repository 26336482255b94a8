"""MoE expert-to-GPU placement (EPLB-style replication and packing, with extras)."""

from schedkit.kinds import KindSpec
from schedkit.models.placement.bounds import lower_bound
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.models.placement.validator import validate

SPEC = KindSpec(
    name="placement",
    problem=PlacementProblem,
    solution=PlacementSolution,
    validate=validate,
    lower_bound=lower_bound,
    backends={
        "heuristic": "schedkit.solvers.heuristics.placement:solve",
        "eplb": "schedkit.solvers.heuristics.placement:solve_eplb",
        "cpsat": "schedkit.solvers.cpsat.placement:solve",
        "milp": "schedkit.solvers.milp.placement:solve",
    },
    exact=("cpsat", "milp"),
    auto_heuristic_share=0.3,
    integral=False,
    generator="schedkit.generate.placement:command",
)

__all__ = ["SPEC", "PlacementProblem", "PlacementSolution", "validate"]
