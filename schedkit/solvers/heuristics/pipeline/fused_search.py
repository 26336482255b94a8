"""Local search with a fused backward time of its own (`times.BW`): never worse than the
all-split search, which it runs first.

1. The all-split search: the best candidate with every BW split, improved as without
   `times.BW` (a share of the step).
2. The search that also fuses and splits backwards of the fusable stages, from the better of
   that answer and the best candidate, for the rest of the step.

Both only keep moves that do not make the objective worse, so the answer is at most the
all-split one.
"""

from __future__ import annotations

from schedkit.models.pipeline.fusion import fusable_stages
from schedkit.models.pipeline.problem import PipelineProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.pipeline.local_search import Orders, improve, objective

SPLIT_SHARE = 1 / 3
"""Share of the step for the all-split search (it usually settles within a second)."""


def search(
    problem: PipelineProblem,
    start: Orders,
    split_start: Orders,
    step: Budget,
    seed: int = 0,
    floor: float | None = None,
) -> Orders:
    """The better of the all-split search from `split_start` and the fusing search after it
    (from `start`, the best candidate, when that is better still)."""
    fusable = fusable_stages(problem)
    if not fusable:
        return improve(problem, split_start, step, seed, floor)
    split = improve(problem, split_start, step.split(SPLIT_SHARE), seed, floor)
    value = objective(problem, split)
    if floor is not None and value <= floor + 1e-6:
        return split
    begin = start if objective(problem, start) < value else split
    fused = improve(problem, begin, step, seed, floor, fusable)
    return fused if objective(problem, fused) <= value else split
