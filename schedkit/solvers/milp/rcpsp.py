"""RCPSP as a time-indexed MILP (pulse formulation, Pritsker et al. 1969) on Pyomo + HiGHS.

x[j, t] = 1 iff activity j starts at t, for t in [ES_j, LS_j] over a horizon T taken from the
heuristic's makespan. Precedences are disaggregated (Christofides et al. 1987): by time t, j may
have started only if i started by t - delay. Resource rows sum the running demand at each t
against the (downtime-reduced) capacity; a disjunctive pair is a unit-capacity row.

Size limit: the model is refused (ModelTooLarge) above MAX_BINARIES start binaries or
MAX_ROWS rows, i.e. roughly a few hundred activities x a horizon of a few hundred periods.
"""

from __future__ import annotations

import math
from typing import Any

from schedkit.errors import ModelTooLarge
from schedkit.models.rcpsp.bounds import earliest_starts, latest_starts
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution
from schedkit.models.rcpsp.start import exact_start
from schedkit.solvers.budget import Budget, BudgetExpired
from schedkit.solvers.exact.rcpsp_start import settled
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, stopped

MAX_BINARIES = 60_000
MAX_ROWS = 60_000

"""HiGHS keeps one thread pool per process: a later run with another thread count ends with
status 'unknown'. The first count used in this process is kept for every later run."""


def _windows(problem: RcpspProblem, horizon: int) -> list[range]:
    es = earliest_starts(problem)
    ls = latest_starts(problem, horizon)
    return [range(e, lat + 1) for e, lat in zip(es, ls, strict=True)]


def check_size(problem: RcpspProblem, horizon: int) -> None:
    """Refuse models beyond the stated limits."""
    binaries = sum(len(w) for w in _windows(problem, horizon))
    rows = horizon * (problem.m + len(problem.pairs)) + horizon * len(problem.arcs)
    if binaries > MAX_BINARIES or rows > MAX_ROWS:
        raise ModelTooLarge(
            f"time-indexed MILP too large: {binaries} start binaries and ~{rows} rows for "
            f"{problem.n} activities over horizon {horizon} (limits {MAX_BINARIES} binaries, "
            f"{MAX_ROWS} rows); use the cpsat backend"
        )


def build_model(
    problem: RcpspProblem, horizon: int, budget: Budget | None = None
) -> tuple[Any, Any, list[range]]:
    """The Pyomo model, its x variables and the start windows (BudgetExpired if time runs
    out while it is built)."""
    import pyomo.environ as pyo

    win = _windows(problem, horizon)
    dur = problem.durations
    index = [(j, t) for j, w in enumerate(win) for t in w]
    m = pyo.ConcreteModel()
    m.x = pyo.Var(index, domain=pyo.Binary)
    m.cmax = pyo.Var(bounds=(0, horizon))
    m.rows = pyo.ConstraintList()
    x = m.x
    for j, w in enumerate(win):
        m.rows.add(sum(x[j, t] for t in w) == 1)
        m.rows.add(m.cmax >= sum((t + dur[j]) * x[j, t] for t in w))
    for i, j, delay in problem.arcs:
        if budget is not None:
            budget.checkpoint()
        for t in win[j]:  # started(j, t) <= started(i, t - delay)
            lhs = sum(x[j, s] for s in win[j] if s <= t)
            m.rows.add(lhs <= sum(x[i, s] for s in win[i] if s <= t - delay))

    def running(j: int, t: int) -> list[Any]:
        return [x[j, s] for s in win[j] if t - dur[j] < s <= t]

    for k, res in enumerate(problem.resources):
        users = [j for j in range(problem.n) if problem.demand[j][k] > 0 and dur[j] > 0]
        if budget is not None:
            budget.checkpoint()
        for t in range(horizon):
            terms = [problem.demand[j][k] * v for j in users for v in running(j, t)]
            if terms:
                m.rows.add(sum(terms) <= res.capacity_at(t))
    for i, j in problem.pairs:
        if budget is not None:
            budget.checkpoint()
        for t in range(horizon):
            terms = running(i, t) + running(j, t)
            if len(terms) > 1:
                m.rows.add(sum(terms) <= 1)
    m.obj = pyo.Objective(expr=m.cmax, sense=pyo.minimize)
    return m, x, win


def solve(
    problem: RcpspProblem, options: SolveOptions, hint: RcpspSolution | None
) -> BackendOutput:
    """Minimise the makespan with HiGHS on the time-indexed model."""
    budget = options.budget
    start = exact_start(problem, hint, budget)
    if start.proven or budget.expired():
        return settled(start)
    lb, incumbent, horizon = start.lb, start.incumbent, start.horizon
    check_size(problem, horizon)
    try:
        model, x, win = build_model(problem, horizon, budget)
    except BudgetExpired:
        return settled(start)
    warm: list[tuple[Any, float]] = []
    if incumbent is not None:
        warm = [(x[j, t], 1.0) for j, t in enumerate(incumbent) if (j, t) in x]
        warm.append((model.cmax, float(horizon)))
    from schedkit.solvers.milp.highs import solve_model  # Pyomo and HiGHS: only when needed

    run = solve_model(model, options, warm)
    stats: dict[str, Any] = {"highs": run.termination, "horizon": horizon, "binaries": len(x)}
    ended = stopped(budget)
    lower = float(lb)
    if run.bound is not None:
        lower = max(lower, math.ceil(run.bound - 1e-6))
    if run.status is Status.INFEASIBLE:
        if incumbent is None:
            why = "HiGHS proved the time-indexed model infeasible"
            return BackendOutput(None, Status.INFEASIBLE, None, stats, reason=why)
        raise RuntimeError("HiGHS reported infeasible although a schedule is known")
    if not run.loaded:
        fallback = None
        if incumbent is not None:
            fallback = RcpspSolution(start=tuple(incumbent), objective=float(horizon))
        status = Status.FEASIBLE if fallback else Status.UNKNOWN
        return BackendOutput(fallback, status, lower, stats, ended)
    starts = tuple(next(t for t in w if x[j, t].value > 0.5) for j, w in enumerate(win))
    ms = max(s + d for s, d in zip(starts, problem.durations, strict=True))
    # integral makespan: a bound within 1 of the incumbent also proves optimality
    proven = run.status is Status.OPTIMAL or lower > ms - 1 + 1e-6
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    return BackendOutput(
        RcpspSolution(start=starts, objective=float(ms)),
        status,
        float(ms) if proven else lower,
        stats,
        None if proven else ended,
    )


def compile_model(problem: RcpspProblem, options: SolveOptions) -> Any:
    """The time-indexed model `solve` builds (no hint: the horizon of the backend's own start),
    for `schedkit export --format lp|mps` and `schedkit info --model milp`."""
    start = exact_start(problem, None, options.budget)
    check_size(problem, start.horizon)
    return build_model(problem, start.horizon, options.budget)[0]
