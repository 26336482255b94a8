"""A deliberately weak tardiness backend for portfolio tests: the EDD order, nothing proven."""

from __future__ import annotations

from schedkit.models.tardiness.orders import edd_order
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.solvers.result import BackendOutput, SolveOptions, Status


def edd_only(
    problem: TardinessProblem, options: SolveOptions, hint: TardinessSolution | None
) -> BackendOutput:
    return BackendOutput(TardinessSolution(sequence=tuple(edd_order(problem))), Status.FEASIBLE)
