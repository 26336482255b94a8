"""RCPSP on CP-SAT: interval variables, one cumulative per resource, precedences with lags.

Downtime enters each cumulative as fixed intervals that take the missing capacity; activity
time windows become variable domains; a disjunctive pair is a two-interval no-overlap. The
makespan is bounded below by the critical-path and energy bounds and above by the heuristic's
schedule (also used as a solution hint). `options.params` are passed to CP-SAT's parameters
(e.g. `{"log_search_progress": True}`).
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
from ortools.sat.python import cp_model

from schedkit.models.rcpsp.bounds import earliest_starts, latest_starts
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution, Resource
from schedkit.solvers.heuristics.rcpsp import exact_start
from schedkit.solvers.result import BackendOutput, SolveOptions, Status

DEFAULT_PARAMS: dict[str, Any] = {
    "exploit_all_precedences": True,
    "use_hard_precedences_in_cumulative": True,
    "use_timetable_edge_finding_in_cumulative": True,
    "use_overload_checker_in_cumulative": True,
}
"""Stronger cumulative propagation: it pays off on the PSPLIB sets (measured on j30)."""


def downtime_pieces(res: Resource) -> list[tuple[int, int, int]]:
    """Disjoint (start, end, missing capacity) pieces of a resource's downtime profile."""
    points = sorted({w.start for w in res.downtime} | {w.end for w in res.downtime})
    out = []
    for a, b in itertools.pairwise(points):
        missing = res.capacity - res.capacity_at(a)
        if missing > 0:
            out.append((a, b, missing))
    return out


def disjunctive_cliques(problem: RcpspProblem, limit: int = 200) -> list[list[int]]:
    """Maximal sets of activities that pairwise cannot overlap (their joint demand exceeds a
    capacity, or they form a disjunctive pair): a no-overlap on each adds edge-finding."""
    dur, dem = problem.durations, problem.demand
    caps = [r.capacity for r in problem.resources]
    graph = nx.Graph()
    busy = [j for j in range(problem.n) if dur[j] > 0]
    for a, i in enumerate(busy):
        for j in busy[a + 1 :]:
            if any(dem[i][k] + dem[j][k] > c for k, c in enumerate(caps)):
                graph.add_edge(i, j)
    graph.add_edges_from((i, j) for i, j in problem.pairs if dur[i] and dur[j])
    cliques = sorted(nx.find_cliques(graph), key=len, reverse=True)
    return [sorted(c) for c in cliques[:limit] if len(c) >= 2]


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
    for clique in disjunctive_cliques(problem):
        model.add_no_overlap([intervals[j] for j in clique])
    model.minimize(makespan)
    if hint is not None:
        for var, value in zip(starts, hint, strict=True):
            model.add_hint(var, value)
        model.add_hint(makespan, max(s + d for s, d in zip(hint, dur, strict=True)))
    return model, starts, makespan


def solve(
    problem: RcpspProblem, options: SolveOptions, hint: RcpspSolution | None
) -> BackendOutput:
    """Minimise the makespan with CP-SAT within the time limit."""
    start = exact_start(problem, hint)
    if start.done is not None:
        return start.done
    lb, incumbent, horizon = start.lb, start.incumbent, start.horizon
    model, starts, makespan = build_model(problem, horizon, min(lb, horizon), incumbent)
    stats: dict[str, Any] = {"horizon": horizon, "phases": []}
    best = incumbent
    bound = lb
    code = cp_model.UNKNOWN
    for phase, share in _phases(options):
        if best is not None and bound >= _makespan(problem, best):
            break
        solver = _solver(options, phase, share)
        code = solver.solve(model)
        stats["phases"].append(
            {"status": solver.status_name(code), "wall_time": round(solver.wall_time, 3)}
        )
        if code == cp_model.INFEASIBLE:
            break
        bound = max(bound, int(solver.best_objective_bound))
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = [int(solver.value(v)) for v in starts]
            model.clear_hints()
            for var, value in zip(starts, best, strict=True):
                model.add_hint(var, value)
        if code == cp_model.OPTIMAL:
            bound = _makespan(problem, best or [])
            break
        model.add(makespan >= bound)  # what this phase proved helps the next one
    return _output(problem, code, best, bound, stats)


def _makespan(problem: RcpspProblem, start: list[int]) -> int:
    return max((s + d for s, d in zip(start, problem.durations, strict=True)), default=0)


def _phases(options: SolveOptions) -> list[tuple[dict[str, Any], float]]:
    """(parameters, share of the remaining time) per phase.

    With one worker the default search (strong propagation, finds the optimum fast) runs
    first; if it has not proved optimality, lb_tree_search (strong on the bound) takes the rest.
    With several workers (or user parameters), one CP-SAT call with its own portfolio.
    """
    user = dict(options.params)
    if options.threads > 1 or user:
        return [({**DEFAULT_PARAMS, **user}, 1.0)]
    return [
        (dict(DEFAULT_PARAMS), 0.25),
        ({**DEFAULT_PARAMS, "optimize_with_lb_tree_search": True}, 1.0),
    ]


def _solver(options: SolveOptions, params: dict[str, Any], share: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    for key, value in params.items():
        if isinstance(value, list | tuple):  # repeated fields, e.g. subsolvers
            getattr(solver.parameters, key).extend(value)
        else:
            setattr(solver.parameters, key, value)
    solver.parameters.max_time_in_seconds = max(0.01, options.remaining() * share)
    solver.parameters.num_workers = max(1, options.threads)
    solver.parameters.random_seed = options.seed
    solver.parameters.log_search_progress = bool(params.get("log_search_progress", options.verbose))
    return solver


def _output(
    problem: RcpspProblem, code: Any, best: list[int] | None, bound: int, stats: dict[str, Any]
) -> BackendOutput:
    if code == cp_model.INFEASIBLE:
        if best is not None:  # cannot happen: the incumbent is a feasible schedule
            raise RuntimeError("CP-SAT reported infeasible although a schedule is known")
        stats["reason"] = "CP-SAT proved that no schedule satisfies all constraints"
        return BackendOutput(None, Status.INFEASIBLE, None, stats)
    if best is None:
        return BackendOutput(None, Status.UNKNOWN, float(bound), stats)
    ms = _makespan(problem, best)
    solution = RcpspSolution(start=tuple(best), objective=float(ms))
    status = Status.OPTIMAL if bound >= ms else Status.FEASIBLE
    return BackendOutput(solution, status, float(min(bound, ms)), stats)
