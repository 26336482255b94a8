"""What both exact RCPSP backends answer when no search is needed or possible."""

from __future__ import annotations

from schedkit.models.rcpsp.start import ExactStart
from schedkit.solvers.result import BackendOutput, Status, Termination


def settled(start: ExactStart) -> BackendOutput:
    """The answer without search: a static proof, the incumbent at the bound, or no time."""
    if start.infeasible:
        return BackendOutput(None, Status.INFEASIBLE, None, reason=start.infeasible)
    solution = start.solution()
    if start.proven:
        return BackendOutput(
            solution, Status.OPTIMAL, float(start.lb), {"proof": "incumbent = bound"}
        )
    status = Status.FEASIBLE if solution is not None else Status.UNKNOWN
    return BackendOutput(
        solution, status, float(start.lb), termination=Termination.TIME_LIMIT, reason="no time left"
    )
