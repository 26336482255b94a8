"""Pipeline-parallel training schedules with zero-bubble backward splits (F, B, W)."""

from schedkit.kinds import KindSpec, Replay
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
        "cpsat": "schedkit.solvers.pipeline_sizes:cpsat",
        "milp": "schedkit.solvers.pipeline_sizes:milp",
    },
    models={
        "milp": "schedkit.solvers.milp.pipeline:compile_model",
        "cpsat": "schedkit.solvers.cpsat.pipeline:compile_model",
    },
    exact=("cpsat", "milp"),
    auto_heuristic_share=0.5,
    integral=False,
    params={
        "greedy_time": "heuristic: seconds for the greedy reference variants",
        "improve_time": "heuristic: seconds for the local search",
        "torch_schedules": "heuristic: true/false: start also from torch's schedule classes "
        "(imports torch; default: only when torch.distributed.pipelining is imported already)",
    },
    plot="schedkit.plot.pipeline:draw",
    exporters={
        "torch-csv": "schedkit.io.torch_pipeline:to_torch_csv",
        "torch-csv-compute": "schedkit.io.torch_pipeline:to_torch_compute_csv",
        "torch-csv-early": "schedkit.io.torch_pipeline:to_torch_early_csv",
    },
    replay=Replay("schedkit.execute:replay_pipeline", options=("runtime",)),
)

__all__ = ["SPEC", "Memory", "Op", "PipelineProblem", "PipelineSolution", "Times", "validate"]
