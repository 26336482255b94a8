"""A deliberately weak tardiness backend for portfolio tests: the EDD order, nothing proven."""

from __future__ import annotations

from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.solvers.result import BackendOutput, SolveOptions, Status


def edd_only(
    problem: TardinessProblem, options: SolveOptions, hint: TardinessSolution | None
) -> BackendOutput:
    order = sorted(range(problem.n), key=lambda j: problem.jobs[j].due_date)
    return BackendOutput(TardinessSolution(sequence=tuple(order)), Status.FEASIBLE)
