"""MoE expert-to-GPU placement (EPLB-style replication and packing, with extras)."""

from schedkit.kinds import KindSpec, Replay
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
        "heuristic": "schedkit.solvers.heuristics.placement.planner:solve",
        "eplb": "schedkit.solvers.heuristics.placement.eplb_greedy:solve_eplb",
        "cpsat": "schedkit.solvers.cpsat.placement:solve",
        "milp": "schedkit.solvers.milp.placement:solve",
    },
    models={
        "milp": "schedkit.solvers.milp.placement:compile_model",
        "cpsat": "schedkit.solvers.cpsat.placement:compile_model",
    },
    exact=("cpsat", "milp"),
    auto_heuristic_share=0.3,
    integral=False,
    generator="schedkit.generate.placement:command",
    plot="schedkit.plot.placement:draw",
    exporters={
        "eplb": "schedkit.models.placement.eplb:export_json",
        "sglang": "schedkit.io.sglang:to_sglang_json",
    },
    replay=Replay("schedkit.execute:replay_placement", options=("processes",)),
)

__all__ = ["SPEC", "PlacementProblem", "PlacementSolution", "validate"]
