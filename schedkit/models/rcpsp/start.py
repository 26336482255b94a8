"""What an exact RCPSP backend starts from: the static checks, the bound and an incumbent.

Shared by the CP-SAT and MILP backends (so neither imports the heuristic): the incumbent is the
hint `auto` passes on (the heuristic's schedule) or else one serial pass of the LFT rule on
capacity profiles, which costs O(n^2) whatever the time scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schedkit.models.rcpsp.bounds import infeasibility_reason, lower_bound
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution
from schedkit.models.rcpsp.schedule import (
    lateness,
    latest_finish_order,
    makespan,
    serial_schedule,
)

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget


@dataclass
class ExactStart:
    """The bound, an incumbent (deadline-feasible, or None) and the horizon it gives."""

    lb: int
    incumbent: list[int] | None
    horizon: int
    infeasible: str = ""
    """Why no schedule exists, when the static checks prove it."""

    @property
    def proven(self) -> bool:
        """Nothing left to search: infeasible, or the incumbent meets the bound."""
        return bool(self.infeasible) or (self.incumbent is not None and self.horizon <= self.lb)

    def solution(self) -> RcpspSolution | None:
        if self.incumbent is None:
            return None
        return RcpspSolution(start=tuple(self.incumbent), objective=float(self.horizon))


def exact_start(
    problem: RcpspProblem, hint: RcpspSolution | None, budget: Budget | None = None
) -> ExactStart:
    """Static infeasibility, the combinatorial bound, and the hint (or one LFT serial pass)."""
    reason = infeasibility_reason(problem)
    if reason:
        return ExactStart(0, None, 0, reason)
    lb = int(lower_bound(problem, budget))
    incumbent = list(hint.start) if hint is not None and len(hint.start) == problem.n else None
    if incumbent is None:
        incumbent = serial_schedule(problem, latest_finish_order(problem))
    if lateness(problem, incumbent) > 0:
        return ExactStart(lb, None, problem.serial_horizon)
    return ExactStart(lb, incumbent, makespan(problem, incumbent))
