"""Single-machine (weighted) total tardiness."""

from schedkit.io.formats import Format
from schedkit.kinds import KindSpec, ReferenceSet
from schedkit.models.tardiness.bounds import lower_bound
from schedkit.models.tardiness.problem import Job, TardinessProblem, TardinessSolution
from schedkit.models.tardiness.validator import validate

SPEC = KindSpec(
    name="tardiness",
    problem=TardinessProblem,
    solution=TardinessSolution,
    validate=validate,
    lower_bound=lower_bound,
    backends={
        "heuristic": "schedkit.solvers.heuristics.tardiness:solve",
        "cpsat": "schedkit.solvers.cpsat.tardiness:solve",
        "milp": "schedkit.solvers.milp.tardiness:solve",
        "lawler": "schedkit.solvers.exact.lawler:solve",
    },
    models={
        "milp": "schedkit.solvers.milp.tardiness:compile_model",
        "cpsat": "schedkit.solvers.cpsat.tardiness:compile_model",
    },
    exact=("lawler", "cpsat", "milp"),  # lawler declines weighted or released jobs
    auto_heuristic_share=0.5,
    formats=(
        Format("orlib-wt", ("wt[0-9]*.txt",), "schedkit.io.orlib:read_wt", multi_instance=True),
    ),
    generator="schedkit.generate.tardiness:command",
    params={
        "max_iters": "heuristic: most kicks of the iterated dynasearch",
        "stall_iters": "heuristic: stop after this many kicks without improvement",
        "kick": "heuristic: random swaps per kick",
        "kick_span": "heuristic: largest position distance of a kick swap",
        "window": "heuristic: largest position distance of a dynasearch move (0 = all)",
        "release_window": "heuristic: move distance with release dates",
        "atc_k": "heuristic: look-ahead values tried for ATC",
        "compiled": "heuristic: full dynasearch steps by the compiled loop (true) or numpy",
        "blocks": "heuristic: compiled steps also move blocks of up to this many jobs",
        "formulation": "milp: time-indexed or disjunctive",
        "time_indexed_max_nonzeros": "milp: size above which time-indexed is not used",
    },
    plot="schedkit.plot.tardiness:draw",
    references=(
        ReferenceSet(
            instance=r"wt(?P<n>\d+)\.txt$",
            tables=("wtopt{n}.txt",),
            table=r"^wtopt\d+\.txt$",
            reader="schedkit.io.orlib:read_wt_reference",
        ),
    ),
)

__all__ = ["SPEC", "Job", "TardinessProblem", "TardinessSolution", "validate"]
