"""RCPSP heuristic backend: priority rules with serial/parallel SGS, then a GA with
forward-backward improvement (see `rcpsp_ga`).

`options.params`: `schedules` (budget of generated schedules, default unlimited: the time limit
stops the search), `pop_size`, `mutation`, `justify` (bool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schedkit.models.rcpsp.bounds import infeasibility_reason, lower_bound
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution
from schedkit.solvers.heuristics.rcpsp_ga import run_ga
from schedkit.solvers.heuristics.rcpsp_sgs import Sgs
from schedkit.solvers.result import BackendOutput, SolveOptions, Status


def solve(
    problem: RcpspProblem, options: SolveOptions, hint: RcpspSolution | None
) -> BackendOutput:
    """Best schedule found within the time limit (or the schedule budget)."""
    reason = infeasibility_reason(problem)
    if reason:
        return BackendOutput(None, Status.INFEASIBLE, None, reason=reason)
    lb = int(lower_bound(problem))
    params = options.params
    res = run_ga(
        problem,
        budget=int(params.get("schedules", 10**12)),
        time_limit=options.budget.remaining(),
        seed=options.seed,
        target=lb,
        hints=[hint.start] if hint is not None and len(hint.start) == problem.n else [],
        pop_size=params.get("pop_size"),
        mutation=float(params.get("mutation", 0.05)),
        justify=bool(params.get("justify", True)),
    )
    stats: dict[str, Any] = {"schedules": res.schedules, "generations": res.generations}
    if not res.start or res.lateness > 0:
        why = f"no schedule meeting every deadline found (lateness {res.lateness})"
        return BackendOutput(None, Status.UNKNOWN, float(lb), stats, reason=why)
    solution = RcpspSolution(start=tuple(res.start), objective=float(res.makespan))
    status = Status.OPTIMAL if res.makespan <= lb else Status.FEASIBLE
    return BackendOutput(solution, status, float(lb), stats)


def quick_schedule(
    problem: RcpspProblem, budget: int = 1000, time_limit: float = 1.0
) -> list[int] | None:
    """A deadline-feasible schedule from a short GA run (rules, sampling, justification) to
    warm-start and bound the exact backends; None if no deadline-feasible one was found."""
    res = run_ga(problem, budget=budget, time_limit=time_limit, target=int(lower_bound(problem)))
    return res.start if res.start and res.lateness == 0 else None


@dataclass
class ExactStart:
    """What an exact RCPSP backend starts from: the bound, an incumbent and its horizon."""

    lb: int
    incumbent: list[int] | None
    horizon: int
    done: BackendOutput | None = None
    """Set when nothing is left to solve: proven infeasible, or incumbent = bound."""


def exact_start(
    problem: RcpspProblem, hint: RcpspSolution | None, time_limit: float = 1.0
) -> ExactStart:
    """Static infeasibility, the combinatorial bound, and the hint (or a quick schedule)."""
    reason = infeasibility_reason(problem)
    if reason:
        done = BackendOutput(None, Status.INFEASIBLE, None, reason=reason)
        return ExactStart(0, None, 0, done)
    lb = int(lower_bound(problem))
    incumbent = list(hint.start) if hint is not None and len(hint.start) == problem.n else None
    if incumbent is None:
        incumbent = quick_schedule(problem, time_limit=time_limit)
    if incumbent is None:
        return ExactStart(lb, None, Sgs(problem).horizon)
    horizon = max(s + d for s, d in zip(incumbent, problem.durations, strict=True))
    if horizon > lb:
        return ExactStart(lb, incumbent, horizon)
    solution = RcpspSolution(start=tuple(incumbent), objective=float(horizon))
    done = BackendOutput(solution, Status.OPTIMAL, float(lb), {"proof": "heuristic = bound"})
    return ExactStart(lb, incumbent, horizon, done)
