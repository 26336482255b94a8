"""RCPSP heuristic backend: priority rules with serial/parallel SGS, then a GA with
forward-backward improvement (see `ga`).

`options.params`: `schedules` (budget of generated schedules, default unlimited: the time limit
stops the search), `pop_size`, `mutation`, `justify` (bool), `stall` (generations without a
better schedule in the run's population before the run stops, default `STALL`; 0: never),
`restart` (bool, default true: a stalled run is followed by a fresh one while the time lasts),
`parallel` (share of the GA's children decoded by the parallel SGS before their justification,
default 0). When the time scale is too large for the array scheme (`sgs.table_cells` above
`sgs.MAX_CELLS`), the priority rules run on capacity profiles instead, one serial pass each.
"""

from __future__ import annotations

from typing import Any

from schedkit.models.rcpsp.bounds import infeasibility_reason, lower_bound
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution
from schedkit.models.rcpsp.schedule import lateness, makespan, priority_order, serial_schedule
from schedkit.solvers.arguments import flag_param, number_param
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.rcpsp.ga import GaResult, run_ga
from schedkit.solvers.heuristics.rcpsp.rules import priorities
from schedkit.solvers.heuristics.rcpsp.sgs import MAX_CELLS, table_cells
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, stopped

STALL = 60
"""Generations without a better schedule in its population after which a GA run stops (the
population has converged); with `restart` a fresh run follows while the time lasts."""


def solve(
    problem: RcpspProblem, options: SolveOptions, hint: RcpspSolution | None
) -> BackendOutput:
    """Best schedule found within the budget (or the schedule count); at least one schedule."""
    reason = infeasibility_reason(problem)
    if reason:
        return BackendOutput(None, Status.INFEASIBLE, None, reason=reason)
    budget = options.budget
    lb = int(lower_bound(problem, budget))
    params = options.params
    hints = [hint.start] if hint is not None and len(hint.start) == problem.n else []
    if table_cells(problem) > MAX_CELLS:
        res = rules_on_profiles(problem, hints, budget)
    else:
        res = run_ga(
            problem,
            schedules=number_param(params, "schedules", 10**12, integer=True, low=1),
            budget=budget,
            seed=options.seed,
            target=lb,
            hints=hints,
            pop_size=number_param(params, "pop_size", 2, integer=True, low=2)
            if "pop_size" in params
            else None,
            mutation=float(number_param(params, "mutation", 0.05, high=1.0)),
            justify=bool(flag_param(params, "justify", True)),
            stall=number_param(params, "stall", STALL, integer=True),
            restart=bool(flag_param(params, "restart", True)),
            parallel=float(number_param(params, "parallel", 0.0, high=1.0)),
        )
    stats: dict[str, Any] = {
        "schedules": res.schedules,
        "generations": res.generations,
        "ga_runs": res.runs,
    }
    ended = stopped(budget)
    if not res.start or res.lateness > 0:
        why = f"no schedule meeting every deadline found (lateness {res.lateness})"
        return BackendOutput(None, Status.UNKNOWN, float(lb), stats, ended, why)
    solution = RcpspSolution(start=tuple(res.start), objective=float(res.makespan))
    if res.makespan <= lb:
        return BackendOutput(solution, Status.OPTIMAL, float(lb), stats)
    return BackendOutput(solution, Status.FEASIBLE, float(lb), stats, ended)


def rules_on_profiles(
    problem: RcpspProblem, hints: list[tuple[int, ...]], budget: Budget
) -> GaResult:
    """One serial pass per priority rule (and per hint's order) on capacity profiles, while
    the budget lasts (the first pass always runs); the best by (lateness, makespan)."""
    orders = [priority_order(problem, [float(s) for s in h]) for h in hints]
    orders += [priority_order(problem, prio) for prio in priorities(problem).values()]
    best: tuple[int, int, list[int]] | None = None
    count = 0
    for order in orders:
        if best is not None and budget.expired():
            break
        start = serial_schedule(problem, order)
        count += 1
        key = (lateness(problem, start), makespan(problem, start), start)
        if best is None or key[:2] < best[:2]:
            best = key
    assert best is not None
    return GaResult(best[2], best[1], best[0], count, 0)
