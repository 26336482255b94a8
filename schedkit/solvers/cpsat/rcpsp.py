"""RCPSP on CP-SAT: interval variables, one cumulative per resource, precedences with lags.

Downtime enters each cumulative as fixed intervals that take the missing capacity; activity
time windows become variable domains; a disjunctive pair is a two-interval no-overlap. The
makespan is bounded below by the critical-path and energy bounds and above by the heuristic's
schedule (also used as a solution hint). CP-SAT runs with its default parameters: on PSPLIB's
hardest j30 sets they proved optimality 2-3x faster than stronger cumulative propagation
(timetable edge finding, overload checker) or an lb_tree_search phase, and no-overlaps on
demand cliques did not help (docs/benchmarks.md, RCPSP). `options.params["cpsat"]`
may override any CP-SAT parameter.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from ortools.sat.python import cp_model

from schedkit.models.rcpsp.bounds import earliest_starts, latest_starts
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution, Resource
from schedkit.solvers.cpsat.runner import CpsatRun, run_cpsat
from schedkit.solvers.heuristics.rcpsp import exact_start
from schedkit.solvers.result import BackendOutput, SolveOptions, Status


def downtime_pieces(res: Resource) -> list[tuple[int, int, int]]:
    """Disjoint (start, end, missing capacity) pieces of a resource's downtime profile."""
    points = sorted({w.start for w in res.downtime} | {w.end for w in res.downtime})
    out = []
    for a, b in itertools.pairwise(points):
        missing = res.capacity - res.capacity_at(a)
        if missing > 0:
            out.append((a, b, missing))
    return out


def build_model(
    problem: RcpspProblem, horizon: int, lb: int, hint: list[int] | None
) -> tuple[cp_model.CpModel, list[cp_model.IntVar], cp_model.IntVar]:
    """The CP-SAT model: start variables, makespan variable, all constraints."""
    model = cp_model.CpModel()
    es = earliest_starts(problem)
    ls = latest_starts(problem, horizon)
    dur = problem.durations
    starts = [model.new_int_var(es[j], max(es[j], ls[j]), f"s{j}") for j in range(problem.n)]
    intervals = [
        model.new_fixed_size_interval_var(starts[j], dur[j], f"i{j}") for j in range(problem.n)
    ]
    makespan = model.new_int_var(lb, max(lb, horizon), "makespan")
    for j in range(problem.n):
        model.add(makespan >= starts[j] + dur[j])
    for i, j, delay in problem.arcs:
        model.add(starts[j] >= starts[i] + delay)
    for k, res in enumerate(problem.resources):
        users = [j for j in range(problem.n) if problem.demand[j][k] > 0 and dur[j] > 0]
        ivs = [intervals[j] for j in users]
        dems = [problem.demand[j][k] for j in users]
        for a, b, missing in downtime_pieces(res):
            ivs.append(model.new_fixed_size_interval_var(a, b - a, f"down{k}_{a}"))
            dems.append(missing)
        if ivs and sum(dems) > res.capacity:
            model.add_cumulative(ivs, dems, res.capacity)
    for i, j in problem.pairs:
        model.add_no_overlap([intervals[i], intervals[j]])
    model.minimize(makespan)
    if hint is not None:
        for var, value in zip(starts, hint, strict=True):
            model.add_hint(var, value)
        model.add_hint(makespan, _makespan(problem, hint))
    return model, starts, makespan


def solve(
    problem: RcpspProblem, options: SolveOptions, hint: RcpspSolution | None
) -> BackendOutput:
    """Minimise the makespan with CP-SAT within the time limit."""
    start = exact_start(problem, hint)
    if start.done is not None:
        return start.done
    lb, incumbent, horizon = start.lb, start.incumbent, start.horizon
    model, starts, _ = build_model(problem, horizon, min(lb, horizon), incumbent)
    run = run_cpsat(model, options)
    best = incumbent
    bound = lb
    if run.has_solution:
        best = [run.value(v) for v in starts]
    if run.bound is not None:
        bound = max(bound, math.ceil(run.bound - 1e-6))
    return _output(problem, run, best, bound, {"horizon": horizon, **run.stats})


def _makespan(problem: RcpspProblem, start: list[int]) -> int:
    return max((s + d for s, d in zip(start, problem.durations, strict=True)), default=0)


def _output(
    problem: RcpspProblem, run: CpsatRun, best: list[int] | None, bound: int, stats: dict[str, Any]
) -> BackendOutput:
    if run.status is Status.INFEASIBLE:
        if best is not None:  # cannot happen: the incumbent is a feasible schedule
            raise RuntimeError("CP-SAT reported infeasible although a schedule is known")
        why = "CP-SAT proved that no schedule satisfies all constraints"
        return BackendOutput(None, Status.INFEASIBLE, None, stats, reason=why)
    if best is None:
        return BackendOutput(None, Status.UNKNOWN, float(bound), stats, run.termination)
    ms = _makespan(problem, best)
    solution = RcpspSolution(start=tuple(best), objective=float(ms))
    if bound >= ms:
        return BackendOutput(solution, Status.OPTIMAL, float(ms), stats)
    return BackendOutput(solution, Status.FEASIBLE, float(bound), stats, run.termination)
